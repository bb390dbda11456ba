import { buildGradientGraph, type RuntimeTensor } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, int64Rows, maxAbsDiff, runDecoder, sessionOf } from "./run.test-helpers.ts";
import type { DecoderGraph } from "./types.ts";

const families = [
  "llama",
  "mistral",
  "qwen2",
  "qwen3",
  "gemma",
  "gemma2",
  "phi3",
  "gpt2",
  "gpt_neox",
  "opt",
] as const;
const numLayers = 3;

// Row 1 is left-padded: the mask and positions must still reach the layers after the residual input.
const ids = [
  [1, 7, 30, 3, 45, 12],
  [0, 0, 5, 9, 14, 2],
];
const mask = [
  [1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1],
];
const positions = [
  [0, 1, 2, 3, 4, 5],
  [0, 0, 0, 1, 2, 3],
];
const logitPositions = [
  [5, 2, 0],
  [3, 5, 4],
];
const seq = ids[0]!.length;

/** A dense pseudo-random seed on every gathered logit, so every position and vocabulary entry counts. */
function denseSeed(vocab: number): RuntimeTensor {
  const count = ids.length * logitPositions[0]!.length * vocab;
  const values = Float64Array.from({ length: count }, (_, i) => Math.sin(1.7 * i + 0.3));
  return floatTensor(values, [ids.length, logitPositions[0]!.length, vocab], "float64");
}

/** Only the feeds `graph` declares, so a stale input name fails the run instead of being ignored. */
function feedsFor(
  graph: DecoderGraph,
  available: Record<string, RuntimeTensor>,
): Record<string, RuntimeTensor> {
  return Object.fromEntries(graph.inputNames.map((name) => [name, available[name]!]));
}

function expectedInputs(architecture: string, layer: number): string[] {
  const start = `residual.${layer}`;
  if (layer === numLayers - 1) return [start, "logit_positions"];
  // GPT-2 and OPT read positions only in their learned position embedding, which is gone.
  return architecture === "gpt2" || architecture === "opt"
    ? [start, "attention_mask", "logit_positions"]
    : [start, "attention_mask", "position_ids", "logit_positions"];
}

describe.each(families)("%s: a graph starting from residual.L", (architecture) => {
  const weights = randomWeights(architecture, { numLayers }, 17);
  const { hiddenSize: hidden, vocabSize: vocab } = weights.config;
  const tokenFeeds: Record<string, RuntimeTensor> = {
    input_ids: int64Rows(ids),
    attention_mask: int64Rows(mask),
    position_ids: int64Rows(positions),
    logit_positions: int64Rows(logitPositions),
  };

  for (const layer of [0, numLayers - 1]) {
    const residual = `residual.${layer}`;
    const laterTaps = layer === 0 ? { mlp: [2], attentionProbs: [1] } : {};

    it(`L = ${layer}: same logits, later taps and d logits / d ${residual} as the full graph (≤ 1e-10)`, async () => {
      const full = buildDecoderGraph(weights, {
        dataType: "float64",
        gatherLogits: true,
        taps: { residual: [layer], ...laterTaps },
      });
      const partial = buildDecoderGraph(weights, {
        dataType: "float64",
        gatherLogits: true,
        residualInput: layer,
        taps: laterTaps,
      });
      expect(partial.inputNames).toEqual(expectedInputs(architecture, layer));
      expect(partial.model.graph.inputs[0]).toMatchObject({
        name: residual,
        dataType: "float64",
        shape: ["batch", "seq", hidden],
      });
      expect(partial.model.metadata?.["tokenscope.residualInput"]).toBe(String(layer));

      const fullOutputs = await runDecoder(full, tokenFeeds);
      const tapped = fullOutputs[residual]!;
      expect(tapped.dims).toEqual([ids.length, seq, hidden]);
      const feeds = { ...tokenFeeds, [residual]: floatTensor(tapped.data, tapped.dims, "float64") };
      const partialOutputs = await runDecoder(partial, feedsFor(partial, feeds));
      expect(partial.outputNames).toEqual(full.outputNames.filter((name) => name !== residual));
      for (const name of partial.outputNames) {
        expect(partialOutputs[name]!.dims, name).toEqual(fullOutputs[name]!.dims);
        expect(maxAbsDiff(partialOutputs[name]!.data, fullOutputs[name]!.data), name).toBeLessThanOrEqual(
          1e-10,
        );
      }
      // The logits move with the residual (the comparison above is not between constants).
      const spread = Math.max(...fullOutputs["logits"]!.data) - Math.min(...fullOutputs["logits"]!.data);
      expect(spread).toBeGreaterThan(0.1);

      const seed = denseSeed(vocab);
      const fullGradient = await (
        await sessionOf(buildGradientGraph(full.model, { of: ["logits"], wrt: [residual] }))
      ).run({ ...tokenFeeds, logits_grad: seed });
      const partialGradient = await (
        await sessionOf(buildGradientGraph(partial.model, { of: ["logits"], wrt: [residual] }))
      ).run({ ...feedsFor(partial, feeds), logits_grad: seed });
      const expected = fullGradient[`${residual}_grad`]!.data as Float64Array;
      const actual = partialGradient[`${residual}_grad`]!.data as Float64Array;
      expect(expected.length).toBe(ids.length * seq * hidden);
      expect(expected.some((value) => Math.abs(value) > 1e-3)).toBe(true);
      expect(maxAbsDiff(actual, expected)).toBeLessThanOrEqual(1e-10);
      // Row 1's padded positions are no logit position and no real query attends to them.
      const padded = actual.subarray(seq * hidden, (seq + 2) * hidden);
      expect(padded.every((value) => value === 0)).toBe(true);
    });
  }
});

describe("residualInput refuses what it cannot build", () => {
  const weights = randomWeights("llama", { numLayers }, 17);
  const code = (message: string) =>
    expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringContaining(message) });

  it("a layer outside the model", () => {
    for (const bad of [-1, numLayers, 1.5, Number.NaN]) {
      expect(() => buildDecoderGraph(weights, { residualInput: bad })).toThrow(
        code(`residualInput names layer ${bad}`),
      );
    }
  });

  it("taps of layers it does not run, the embeddings tap and the KV cache", () => {
    expect(() => buildDecoderGraph(weights, { residualInput: 1, taps: { residual: [1] } })).toThrow(
      code("taps.residual names layer 1"),
    );
    expect(() => buildDecoderGraph(weights, { residualInput: 1, taps: { attentionProbs: true } })).toThrow(
      code("taps.attentionProbs names layer 0"),
    );
    expect(() => buildDecoderGraph(weights, { residualInput: 0, taps: { embeddings: true } })).toThrow(
      code("taps.embeddings"),
    );
    expect(() => buildDecoderGraph(weights, { residualInput: 0, kvCache: true })).toThrow(code("kvCache"));
  });

  it("value zeroing keeps value_mask inputs of the layers after the input only", () => {
    const graph = buildDecoderGraph(weights, { residualInput: 0, valueZeroing: true });
    expect(graph.inputNames).toEqual([
      "residual.0",
      "attention_mask",
      "position_ids",
      "value_mask.1",
      "value_mask.2",
    ]);
  });
});
