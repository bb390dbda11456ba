import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { referenceGemmaForward } from "../testing/reference-gemma.ts";
import { referenceGpt2Forward } from "../testing/reference-gpt2.ts";
import { type ReferenceLogits, referenceForward } from "../testing/reference-llama.ts";
import { referenceNeoxForward } from "../testing/reference-neox.ts";
import { referenceOptForward } from "../testing/reference-opt.ts";
import { referenceQwenForward } from "../testing/reference-qwen.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { maxAbsDiff, plainFeeds, runDecoder } from "./run.test-helpers.ts";

const ids = [1, 7, 30, 3, 45, 12, 12, 2];

const cases: {
  title: string;
  architecture: string;
  config?: Partial<DecoderConfig>;
  reference: (w: DecoderWeights, ids: number[]) => ReferenceLogits;
}[] = [
  {
    title: "llama, half-style RoPE, GQA, separate output",
    architecture: "llama",
    reference: referenceForward,
  },
  {
    title: "llama, interleaved RoPE, tied output",
    architecture: "llama",
    config: { ropeStyle: "interleaved", tieWordEmbeddings: true },
    reference: referenceForward,
  },
  {
    title: "llama without GQA",
    architecture: "llama",
    config: { numKeyValueHeads: 4 },
    reference: referenceForward,
  },
  { title: "mistral", architecture: "mistral", reference: referenceForward },
  { title: "qwen2 (q/k/v biases)", architecture: "qwen2", reference: referenceQwenForward },
  { title: "qwen3 (q/k norms, head size 16)", architecture: "qwen3", reference: referenceQwenForward },
  {
    title: "gemma (1 + weight norms, scaled embeddings, GeGLU, one key/value head, head size 16)",
    architecture: "gemma",
    reference: referenceGemmaForward,
  },
  {
    title: "gemma2 (four norms per layer, window 4 on even layers, query scalar 24, soft caps)",
    architecture: "gemma2",
    reference: referenceGemmaForward,
  },
  { title: "phi3 (Llama block, untied output)", architecture: "phi3", reference: referenceForward },
  {
    title:
      "gemma3_text (q/k norms, window 3 on local layers, a global layer every second, local and scaled global rotary)",
    architecture: "gemma3_text",
    reference: referenceGemmaForward,
  },
  { title: "gpt2", architecture: "gpt2", reference: referenceGpt2Forward },
  {
    title: "gpt_neox, parallel residual, half the head rotated",
    architecture: "gpt_neox",
    reference: referenceNeoxForward,
  },
  {
    title: "gpt_neox, sequential residual, Pythia's quarter rotary",
    architecture: "gpt_neox",
    config: { parallelResidual: false, rotaryFraction: undefined, headDim: 8 },
    reference: referenceNeoxForward,
  },
  {
    title: "opt, pre-norm (opt-125m's layout), positions offset by 2",
    architecture: "opt",
    reference: referenceOptForward,
  },
  {
    title: "opt, post-norm (opt-350m's layout), untied output",
    architecture: "opt",
    config: { layerNormBefore: false, tieWordEmbeddings: false },
    reference: referenceOptForward,
  },
];

describe("every family against its independent float64 reference", () => {
  for (const { title, architecture, config, reference } of cases) {
    it(title, async () => {
      const weights = randomWeights(architecture, config, 11);
      const graph = buildDecoderGraph(weights);
      const { logits } = await runDecoder(graph, plainFeeds([ids]));
      const expected = reference(weights, ids);
      expect(logits!.dims).toEqual([1, ids.length, weights.config.vocabSize]);
      // The logits are of order one: a wrong block moves them by far more than float32 rounding.
      const spread = Math.max(...expected.data) - Math.min(...expected.data);
      expect(spread).toBeGreaterThan(0.5);
      expect(maxAbsDiff(logits!.data, expected.data)).toBeLessThan(1e-4);
    });
  }

  it("float64 graphs agree with the references to 1e-9, exact GELU included", async () => {
    for (const { architecture, config, reference } of [0, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14].map(
      (i) => cases[i]!,
    )) {
      const weights = randomWeights(architecture, config, 5);
      const { logits } = await runDecoder(
        buildDecoderGraph(weights, { dataType: "float64" }),
        plainFeeds([ids]),
      );
      expect(maxAbsDiff(logits!.data, reference(weights, ids).data), architecture).toBeLessThan(1e-9);
    }
  });
});
