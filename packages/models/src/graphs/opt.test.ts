import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { referenceOptForward, referenceOptPositions } from "../testing/reference-opt.ts";
import type { DecoderConfig } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { int64Rows, maxAbsDiff, runDecoder } from "./run.test-helpers.ts";

// Unpadded, right-padded and left-padded rows; padding ids are arbitrary.
const ids = [
  [2, 7, 30, 3, 45, 12, 9],
  [2, 22, 4, 40, 1, 1, 1],
  [1, 1, 2, 17, 5, 33, 8],
];
const mask = [
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0, 0],
  [0, 0, 1, 1, 1, 1, 1],
];
// The positions the language model feeds (real tokens counted, padding 0): cumsum(mask) - 1 on real tokens.
const positions = mask.map((row) => {
  let count = 0;
  return row.map((flag) => (flag ? count++ : 0));
});

const variants: { title: string; config: Partial<DecoderConfig> }[] = [
  { title: "pre-norm", config: {} },
  { title: "post-norm", config: { layerNormBefore: false } },
  // opt-350m's shape: post-norm, token embeddings narrower than the hidden size.
  { title: "projected post-norm", config: { layerNormBefore: false, wordEmbeddingSize: 8 } },
  { title: "projected pre-norm", config: { wordEmbeddingSize: 24 } },
];

describe.each(variants)("the opt $title graph on padded batches", ({ config }) => {
  it("equals transformers' positions: position_ids = cumsum(mask) - 1 on every real token", () => {
    for (const [row, flags] of mask.entries()) {
      referenceOptPositions(flags).forEach((position, t) => {
        if (flags[t]) expect(position).toBe(positions[row]![t]);
      });
    }
  });

  for (const dataType of ["float32", "float64"] as const) {
    it(`${dataType}: every real token's logits equal the reference's within ${dataType === "float32" ? "1e-4" : "1e-9"}`, async () => {
      const weights = randomWeights("opt", config, 13);
      const vocab = weights.config.vocabSize;
      const { logits } = await runDecoder(buildDecoderGraph(weights, { dataType }), {
        input_ids: int64Rows(ids),
        attention_mask: int64Rows(mask),
        position_ids: int64Rows(positions),
      });
      const seq = ids[0]!.length;
      let worst = 0;
      for (const [row, rowIds] of ids.entries()) {
        const expected = referenceOptForward(weights, rowIds, mask[row]);
        for (let t = 0; t < seq; t++) {
          if (!mask[row]![t]) continue;
          const at = (row * seq + t) * vocab;
          worst = Math.max(
            worst,
            maxAbsDiff(
              logits!.data.subarray(at, at + vocab),
              expected.data.subarray(t * vocab, (t + 1) * vocab),
            ),
          );
        }
      }
      expect(worst).toBeLessThan(dataType === "float32" ? 1e-4 : 1e-9);
    });
  }
});

describe("buildDecoderGraph for opt", () => {
  it("reads row p + 2 of the position table: rows 0 and 1 are never read", async () => {
    const weights = randomWeights("opt", {}, 3);
    const feeds = {
      input_ids: int64Rows([ids[0]!]),
      attention_mask: int64Rows([mask[0]!]),
      position_ids: int64Rows([positions[0]!]),
    };
    const before = (await runDecoder(buildDecoderGraph(weights), feeds)).logits!.data;
    const table = weights.tensors.get("model.decoder.embed_positions.weight")!;
    const hidden = weights.config.hiddenSize;
    // Rows 0 and 1 are never read: zeroing them leaves the logits alone.
    table.data.fill(0, 0, 2 * hidden);
    const after = (await runDecoder(buildDecoderGraph(weights), feeds)).logits!.data;
    expect(maxAbsDiff(before, after)).toBe(0);
    expect(table.dims).toEqual([weights.config.contextLength + 2, hidden]);
  });

  it("has a final norm with pre-norm layers only", () => {
    expect(randomWeights("opt").tensors.has("model.decoder.final_layer_norm.weight")).toBe(true);
    expect(
      randomWeights("opt", { layerNormBefore: false }).tensors.has("model.decoder.final_layer_norm.weight"),
    ).toBe(false);
  });

  it("refuses grouped-query heads or a free head size with MODEL_LOAD_FAILED", () => {
    const weights = randomWeights("opt");
    expect(() =>
      buildDecoderGraph({ ...weights, config: { ...weights.config, numKeyValueHeads: 2 } }),
    ).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("key/value heads"),
      }),
    );
  });
});
