import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../../serialization/base64.ts";
import { float16FromBits } from "../../serialization/float16-bits.ts";
import { makeResult, makeSequence } from "../../testing/fixtures.ts";
import { inseqSequenceLayout } from "./layout.ts";
import { scoresKey, toScoresDicts } from "./scores-dicts.ts";
import { pythonJson, toInseqJson } from "./to-inseq-json.ts";

/** The worked example of Inseq's decoder-only layout: prompt "<s> a b" (P = 3), generated "c d" (T = 2). */
function workedExample() {
  return makeSequence({
    source: [{ text: "", span: null, special: true, id: 1, piece: "<s>" }, { text: "a", piece: "▁a" }, " b"],
    target: [" c", " d"],
    sourceAttributions: [
      [0.2, 0.6, 0.2],
      [0.25, 0.125, 0.125],
    ],
    targetAttributions: [
      [null, null],
      [0.5, null],
    ],
    stepScores: { probability: [0.9, 0.4] },
  });
}

/** Reads the one tensor of a safetensors blob the way the format defines it. */
function readSafetensor(base64: string): { dtype: string; shape: number[]; values: number[] } {
  const bytes = decodeBase64(base64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  expect(headerLength % 8).toBe(0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  expect(Object.keys(header)).toEqual(["attribution"]);
  const { dtype, shape, data_offsets: offsets } = header.attribution;
  const start = 8 + headerLength;
  const size = dtype === "F16" ? 2 : 4;
  expect(offsets).toEqual([0, shape.reduce((a: number, b: number) => a * b, 1) * size]);
  const values: number[] = [];
  for (let offset = start + offsets[0]; offset < start + offsets[1]; offset += size) {
    values.push(
      dtype === "F16" ? float16FromBits(view.getUint16(offset, true)) : view.getFloat32(offset, true),
    );
  }
  return { dtype, shape, values };
}

describe("Inseq's decoder-only layout", () => {
  it("transposes to [input tokens × generated tokens], prompt rows then earlier targets, NaN after each step", () => {
    const layout = inseqSequenceLayout(workedExample());
    expect(layout.target.map((token) => token.token)).toEqual(["<s>", "▁a", " b", " c", " d"]);
    expect(layout.source.map((token) => token.token)).toEqual(["<s>", "▁a", " b"]);
    expect([layout.attrPosStart, layout.attrPosEnd, layout.rows, layout.columns]).toEqual([3, 5, 5, 2]);
    const column = (j: number) => Array.from({ length: 5 }, (_, row) => layout.matrix[row * 2 + j]);
    expect(column(0)).toEqual([0.2, 0.6, 0.2, Number.NaN, Number.NaN]);
    expect(column(1)).toEqual([0.25, 0.125, 0.125, 0.5, Number.NaN]);
  });

  it("keeps only the attributed range of steps, as attr_pos_start / attr_pos_end", () => {
    const sequence = makeSequence({
      source: ["x", "y"],
      target: [" a", " b", " c"],
      sourceAttributions: [
        [null, null],
        [1, 2],
        [null, null],
      ],
      targetAttributions: null,
      stepScores: { probability: [0.1, 0.2, 0.3] },
    });
    const layout = inseqSequenceLayout(sequence);
    expect([layout.attrPosStart, layout.attrPosEnd, layout.rows, layout.columns]).toEqual([3, 4, 4, 1]);
    expect(Array.from(layout.matrix)).toEqual([1, 2, Number.NaN, Number.NaN]);
    expect(Array.from(layout.stepScores.probability!)).toEqual([0.2]);
  });
});

describe("toScoresDicts (Inseq's get_scores_dicts)", () => {
  it("keys generated tokens and attributed tokens by (position, token), with null where Inseq has NaN", () => {
    const [dict] = toScoresDicts(makeResult([workedExample()]));
    expect(dict!.source_attributions).toEqual({});
    expect(Object.keys(dict!.target_attributions)).toEqual([scoresKey(3, " c"), scoresKey(4, " d")]);
    expect(dict!.target_attributions[scoresKey(4, " d")]).toEqual({
      [scoresKey(0, "<s>")]: 0.25,
      [scoresKey(1, "▁a")]: 0.125,
      [scoresKey(2, " b")]: 0.125,
      [scoresKey(3, " c")]: 0.5,
      [scoresKey(4, " d")]: null,
    });
    expect(dict!.step_scores[scoresKey(3, " c")]).toEqual({ probability: 0.9 });
    expect(JSON.parse(scoresKey(3, " c"))).toEqual([3, " c"]);
  });
});

describe("toInseqJson", () => {
  it("writes Inseq's saved-output structure with sorted keys, 4-space indent and ASCII escapes", () => {
    const text = toInseqJson(makeResult([workedExample()]));
    expect(text).toMatch(
      /^\{\n {4}"__instance_type__": \[\n {8}"inseq\.data\.attribution",\n {8}"FeatureAttributionOutput"\n {4}\],/,
    );
    expect([...text].every((char) => char.charCodeAt(0) < 0x80)).toBe(true);
    expect(text).toContain('"\\u2581a"');
    const saved = JSON.parse(text);
    expect(Object.keys(saved.attributes)).toEqual(["info", "sequence_attributions", "step_attributions"]);
    expect(saved.attributes.step_attributions).toBeNull();
    const [sequence] = saved.attributes.sequence_attributions;
    expect(sequence.__instance_type__).toEqual([
      "inseq.data.attribution",
      "CoarseFeatureAttributionSequenceOutput",
    ]);
    const attributes = sequence.attributes;
    expect(Object.keys(attributes)).toEqual([...Object.keys(attributes)].sort());
    expect(attributes.attr_pos_start).toBe(3);
    expect(attributes.attr_pos_end).toBe(5);
    expect(attributes.source_attributions).toBeNull();
    expect(attributes.sequence_scores).toEqual({});
    expect(attributes.target[1]).toEqual({
      __instance_type__: ["inseq.utils.typing", "TokenWithId"],
      attributes: { id: 101, token: "▁a" },
    });
    expect(attributes.target).toHaveLength(5);
    const matrix = readSafetensor(attributes.target_attributions);
    expect(matrix.dtype).toBe("F32");
    expect(matrix.shape).toEqual([5, 2]);
    expect(matrix.values.map((v) => (Number.isNaN(v) ? "NaN" : Number(v.toFixed(6))))).toEqual([
      0.2,
      0.25,
      0.6,
      0.125,
      0.2,
      0.125,
      "NaN",
      0.5,
      "NaN",
      "NaN",
    ]);
    const probability = readSafetensor(attributes.step_scores.probability);
    expect(probability.shape).toEqual([2]);
    expect(probability.values.map((v) => Number(v.toFixed(6)))).toEqual([0.9, 0.4]);
    expect(saved.attributes.info).toMatchObject({
      attribution_method: "saliency",
      attributed_fn: "probability_fn",
      attr_pos_start: 3,
      attr_pos_end: 5,
      input_texts: ["a b"],
      generated_texts: ["a b c d"],
      model_name: "test/tiny-llama",
      step_scores: ["probability"],
    });
  });

  it("writes float16 tensors when asked and unaggregated per-dimension results as granular vectors", () => {
    const raw = makeSequence({
      source: ["a", " b"],
      target: [" c", " d"],
      rawSource: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      rawTarget: [
        [
          [Number.NaN, Number.NaN],
          [Number.NaN, Number.NaN],
        ],
        [
          [9, 10],
          [Number.NaN, Number.NaN],
        ],
      ],
      sourceAttributions: [
        [null, null],
        [null, null],
      ],
      targetAttributions: [
        [null, null],
        [null, null],
      ],
      aggregation: [],
    });
    const saved = JSON.parse(toInseqJson(makeResult([raw]), { precision: "float16" }));
    const [sequence] = saved.attributes.sequence_attributions;
    expect(sequence.__instance_type__[1]).toBe("GranularFeatureAttributionSequenceOutput");
    const tensor = readSafetensor(sequence.attributes.target_attributions);
    expect(tensor.dtype).toBe("F16");
    expect(tensor.shape).toEqual([4, 2, 2]);
    const cell = (row: number, column: number) =>
      tensor.values.slice((row * 2 + column) * 2, (row * 2 + column) * 2 + 2);
    expect(cell(0, 0)).toEqual([1, 2]);
    expect(cell(1, 1)).toEqual([7, 8]);
    expect(cell(2, 1)).toEqual([9, 10]);
    expect(cell(2, 0).every(Number.isNaN)).toBe(true);
    expect(cell(3, 1).every(Number.isNaN)).toBe(true);
  });

  it("formats JSON as Python's json.dump(indent=4, sort_keys=True) with ensure_ascii", () => {
    expect(pythonJson({ b: [1, { d: "é😀", c: null }], a: {} })).toBe(
      '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "c": null,\n            "d": "\\u00e9\\ud83d\\ude00"\n        }\n    ]\n}',
    );
  });
});
