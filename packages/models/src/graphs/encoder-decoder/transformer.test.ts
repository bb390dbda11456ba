import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "../../formats/ctranslate2/load-folder.ts";
import { ctranslate2TokensToIds } from "../../formats/ctranslate2/vocabulary.ts";
import { floatTensor, int64Rows, maxAbsDiff, sessionOf } from "../run.test-helpers.ts";
import { buildTransformerGraph } from "./transformer.ts";
import { logSoftmax, referenceTransformerLogits } from "./transformer-reference.test-helpers.ts";
import type { EncoderDecoderGraph } from "./types.ts";

const arenDir = join(
  fileURLToPath(new URL("../../../../../", import.meta.url)),
  "../shared/models/aren-transliteration",
);

let aren: CTranslate2TransformerFolder;
let graph: EncoderDecoderGraph;
beforeAll(async () => {
  aren = await loadCTranslate2TransformerFolder(arenDir);
  graph = buildTransformerGraph(aren.weights);
});

const sourceIds = (text: string) => ctranslate2TokensToIds(aren.sourceVocabulary, [...text]);
const targetIds = (tokens: readonly string[]) => ctranslate2TokensToIds(aren.targetVocabulary, tokens);

async function logitsOf(
  model: EncoderDecoderGraph,
  source: readonly (readonly number[])[],
  target: readonly (readonly number[])[],
  masks?: { source: number[][]; target: number[][] },
): Promise<{ dims: number[]; data: Float64Array }> {
  const feeds: Record<string, RuntimeTensor> = {
    input_ids: int64Rows(source),
    attention_mask: int64Rows(masks?.source ?? source.map((row) => row.map(() => 1))),
    decoder_input_ids: int64Rows(target),
    decoder_attention_mask: int64Rows(masks?.target ?? target.map((row) => row.map(() => 1))),
  };
  const outputs = await (await sessionOf(model.model)).run(feeds);
  const logits = outputs["logits"]!;
  return { dims: logits.dims, data: Float64Array.from(logits.data as Float32Array) };
}

/** Greedy decoding with the full graph: run, take the argmax at the last position, until `</s>`. */
async function greedy(text: string, maxSteps = 20): Promise<string> {
  const end = aren.weights.config.eosTokenId!;
  const target = [aren.weights.config.decoderStartTokenId!];
  const source = sourceIds(text);
  const vocab = aren.weights.config.targetVocabSize;
  for (let step = 0; step < maxSteps; step++) {
    const { data } = await logitsOf(graph, [source], [target]);
    const last = data.subarray((target.length - 1) * vocab, target.length * vocab);
    let best = 0;
    for (let id = 1; id < vocab; id++) if (last[id]! > last[best]!) best = id;
    if (best === end) break;
    target.push(best);
  }
  return target
    .slice(1)
    .map((id) => aren.targetVocabulary.tokens[id])
    .join("");
}

describe("CTranslate2 TransformerBase graph on aren-transliteration", () => {
  it("has the README's architecture", () => {
    expect(aren.weights.config).toMatchObject({
      hiddenSize: 32,
      numHeads: 8,
      headDim: 4,
      ffnSize: 128,
      encoderLayers: 6,
      decoderLayers: 6,
      sourceVocabSize: 51,
      targetVocabSize: 43,
      decoderStartTokenId: 1,
      eosTokenId: 2,
    });
    expect(graph.inputNames).toEqual([
      "input_ids",
      "attention_mask",
      "decoder_input_ids",
      "decoder_attention_mask",
    ]);
  });

  it("gives the logits of an independent float64 reference within 1e-4", async () => {
    const source = sourceIds("آتزمون");
    const target = targetIds(["<s>", ..."atzmon"]);
    const { dims, data } = await logitsOf(graph, [source], [target]);
    expect(dims).toEqual([1, target.length, 43]);
    const reference = referenceTransformerLogits(aren.weights.config, aren.weights.tensors, source, target);
    const diff = maxAbsDiff(data, Float64Array.from(reference.flatMap((row) => [...row])));
    expect(diff).toBeLessThan(1e-4);
  });

  it("scores atzmon with the README's seven log-probabilities within 1e-5", async () => {
    const source = sourceIds("آتزمون");
    const forced = targetIds([..."atzmon", "</s>"]);
    const input = [aren.weights.config.decoderStartTokenId!, ...forced.slice(0, -1)];
    const { data } = await logitsOf(graph, [source], [input]);
    const scores = forced.map((id, t) => logSoftmax(data.subarray(t * 43, (t + 1) * 43))[id]!);
    const expected = [-0.106023, -0.06541, -0.056003, -0.447953, -0.230714, -0.092184, -0.063464];
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    // The reference agrees, so the README figures pin the model, not just this graph.
    const reference = referenceTransformerLogits(aren.weights.config, aren.weights.tensors, source, input);
    expect(
      maxAbsDiff(
        forced.map((id, t) => logSoftmax(reference[t]!)[id]!),
        expected,
      ),
    ).toBeLessThan(1e-5);
  });

  it("decodes the README's five names greedily", async () => {
    const cases: Array<[string, string]> = [
      ["آتزمون", "atzmon"],
      ["آتشيسون", "achison"],
      ["آزا", "azza"],
      ["أحمد", "ahmad"],
      ["جون", "jon"],
    ];
    for (const [arabic, latin] of cases) expect(await greedy(arabic)).toBe(latin);
  });

  it("gives each row of a right-padded batch the logits it has alone", async () => {
    const short = sourceIds("جون");
    const long = sourceIds("آتشيسون");
    const shortTarget = targetIds(["<s>", ..."jo"]);
    const longTarget = targetIds(["<s>", ..."achis"]);
    const pad = (row: number[], length: number) => [...row, ...Array<number>(length - row.length).fill(0)];
    const ones = (row: number[], length: number) =>
      pad(
        row.map(() => 1),
        length,
      );
    const batched = await logitsOf(
      graph,
      [pad(short, long.length), long],
      [pad(shortTarget, longTarget.length), longTarget],
      {
        source: [ones(short, long.length), ones(long, long.length)],
        target: [ones(shortTarget, longTarget.length), ones(longTarget, longTarget.length)],
      },
    );
    const alone = await logitsOf(graph, [short], [shortTarget]);
    const width = longTarget.length * 43;
    expect(maxAbsDiff(batched.data.subarray(0, shortTarget.length * 43), alone.data)).toBeLessThan(1e-5);
    const longAlone = await logitsOf(graph, [long], [longTarget]);
    expect(maxAbsDiff(batched.data.subarray(width, 2 * width), longAlone.data)).toBeLessThan(1e-5);
  });

  it("takes unscaled embeddings, runs in float64 and exposes taps", async () => {
    const source = sourceIds("أحمد");
    const target = targetIds(["<s>", ..."ah"]);
    const table = (name: string) => aren.weights.tensors.get(name)!.data;
    const rows = (ids: number[], name: string) =>
      ids.flatMap((id) => [...table(name).subarray(id * 32, (id + 1) * 32)]);
    const embedsGraph = buildTransformerGraph(aren.weights, {
      input: "embeds",
      dataType: "float64",
      taps: [
        "cross.attention_probs.5",
        "encoder.attention_probs.0",
        "decoder.attention_probs.2",
        "encoder_hidden_states",
      ],
    });
    expect(embedsGraph.outputNames).toEqual([
      "logits",
      "cross.attention_probs.5",
      "encoder.attention_probs.0",
      "decoder.attention_probs.2",
      "encoder_hidden_states",
    ]);
    const outputs = await (await sessionOf(embedsGraph.model)).run({
      inputs_embeds: floatTensor(
        rows(source, "encoder/embeddings/weight"),
        [1, source.length, 32],
        "float64",
      ),
      attention_mask: int64Rows([source.map(() => 1)]),
      decoder_inputs_embeds: floatTensor(
        rows(target, "decoder/embeddings/weight"),
        [1, target.length, 32],
        "float64",
      ),
      decoder_attention_mask: int64Rows([target.map(() => 1)]),
    });
    const reference = referenceTransformerLogits(aren.weights.config, aren.weights.tensors, source, target);
    const logits = outputs["logits"]!.data as Float64Array;
    expect(maxAbsDiff(logits, Float64Array.from(reference.flatMap((row) => [...row])))).toBeLessThan(1e-9);
    const cross = outputs["cross.attention_probs.5"]!;
    expect(cross.dims).toEqual([1, 8, target.length, source.length]);
    const crossData = cross.data as Float64Array;
    for (let row = 0; row < 8 * target.length; row++) {
      const sum = crossData
        .subarray(row * source.length, (row + 1) * source.length)
        .reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 12);
    }
    expect(outputs["decoder.attention_probs.2"]!.dims).toEqual([1, 8, target.length, target.length]);
    expect(outputs["encoder.attention_probs.0"]!.dims).toEqual([1, 8, source.length, source.length]);
  });

  it("exposes every kind of tap under its stable name and shape", async () => {
    const taps = {
      "encoder.embeddings": [1, 3, 32],
      "decoder.embeddings": [1, 2, 32],
      "encoder.residual.5": [1, 3, 32],
      "decoder.residual.0": [1, 2, 32],
      "encoder.mlp.1": [1, 3, 128],
      "decoder.mlp.4": [1, 2, 128],
      "encoder.values.2": [1, 8, 3, 4],
      "decoder.values.3": [1, 8, 2, 4],
      "cross.values.0": [1, 8, 3, 4],
    };
    const tapped = buildTransformerGraph(aren.weights, { taps: Object.keys(taps) });
    const outputs = await (await sessionOf(tapped.model)).run({
      input_ids: int64Rows([sourceIds("جون")]),
      attention_mask: int64Rows([[1, 1, 1]]),
      decoder_input_ids: int64Rows([targetIds(["<s>", "j"])]),
      decoder_attention_mask: int64Rows([[1, 1]]),
    });
    for (const [name, dims] of Object.entries(taps)) expect(outputs[name]?.dims, name).toEqual(dims);
  });

  it("zeroes the value vectors its value masks name, as the reference does, in each kind of attention", async () => {
    const source = sourceIds("آتزمون");
    const target = targetIds(["<s>", ..."atz"]);
    const masked = buildTransformerGraph(aren.weights, { valueZeroing: true, dataType: "float64" });
    const session = await sessionOf(masked.model);
    const { encoderLayers, decoderLayers, numHeads } = aren.weights.config;
    // One zeroed key per kind: encoder layer 1 head 3 source 2; decoder layer 4 every head decoder
    // position 1; cross layer 0 heads 0 and 5 source 4.
    const zeroed = (kind: string, layer: number, head: number, key: number) =>
      (kind === "encoder" && layer === 1 && head === 3 && key === 2) ||
      (kind === "decoder" && layer === 4 && key === 1) ||
      (kind === "cross" && layer === 0 && (head === 0 || head === 5) && key === 4);
    const maskFeeds = (scale: (kind: string, layer: number, head: number, key: number) => number) => {
      const feeds: Record<string, RuntimeTensor> = {};
      for (const kind of ["encoder", "decoder", "cross"] as const) {
        const keys = kind === "decoder" ? target.length : source.length;
        for (let layer = 0; layer < (kind === "encoder" ? encoderLayers : decoderLayers); layer++) {
          const data = Array.from({ length: numHeads * keys }, (_, i) =>
            scale(kind, layer, Math.floor(i / keys), i % keys),
          );
          feeds[`${kind}.value_mask.${layer}`] = floatTensor(data, [1, numHeads, keys], "float64");
        }
      }
      return feeds;
    };
    const run = async (scale: (kind: string, layer: number, head: number, key: number) => number) =>
      (
        await session.run({
          input_ids: int64Rows([source]),
          attention_mask: int64Rows([source.map(() => 1)]),
          decoder_input_ids: int64Rows([target]),
          decoder_attention_mask: int64Rows([target.map(() => 1)]),
          ...maskFeeds(scale),
        })
      )["logits"]!.data as Float64Array;
    const flat = (rows: Float64Array[]) => Float64Array.from(rows.flatMap((row) => [...row]));
    const plain = referenceTransformerLogits(aren.weights.config, aren.weights.tensors, source, target);
    expect(maxAbsDiff(await run(() => 1), flat(plain))).toBeLessThan(1e-9);
    for (const kind of ["encoder", "decoder", "cross"]) {
      const scale = (k: string, layer: number, head: number, key: number) =>
        k === kind && zeroed(k, layer, head, key) ? 0 : 1;
      const reference = flat(
        referenceTransformerLogits(aren.weights.config, aren.weights.tensors, source, target, (k, l, h, s) =>
          scale(k, l, h, s),
        ),
      );
      const logits = await run(scale);
      expect(maxAbsDiff(logits, reference), kind).toBeLessThan(1e-9);
      // The zeroing changes the logits: the test would catch a mask that is ignored.
      expect(maxAbsDiff(logits, flat(plain)), kind).toBeGreaterThan(1e-4);
    }
  });

  it("refuses unknown options and taps with INVALID_INPUT", () => {
    expect(() => buildTransformerGraph(aren.weights, { taps: ["attention_probs.0"] })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => buildTransformerGraph(aren.weights, { input: "tokens" as "ids" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
  });
});
