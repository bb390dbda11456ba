import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDecoderGraph } from "../graphs/build-decoder-graph.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { idTextTokenizer } from "./id-tokenizer.test-helpers.ts";
import { createRecomputeDecoder } from "./incremental-decoder.ts";
import { createKvCacheDecoder } from "./kv-cache-decoder.ts";
import { createOnnxLanguageModel } from "./onnx-language-model.ts";

const runtime = createOnnxruntimeNodeRuntime();
const families = ["llama", "qwen3", "gemma", "gemma2", "phi3", "gpt2", "gpt_neox"] as const;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe.each(families)("the KV-cache decoder of a random %s", (architecture) => {
  const weights = randomWeights(architecture, { contextLength: 24 }, 31);
  let model: LanguageModel;
  const session = () =>
    runtime.createSession(buildDecoderGraph(weights, { kvCache: true, gatherLogits: true }).model);
  beforeAll(() => {
    registerCoreBuiltins();
    model = createOnnxLanguageModel({
      id: architecture,
      weights,
      tokenizer: idTextTokenizer(weights.config.vocabSize),
      runtime,
    });
  });
  afterAll(() => model.dispose?.());

  it("gives the logits of recomputing the whole sequence, chunk after chunk (1e-5)", async () => {
    const cached = createKvCacheDecoder({ config: weights.config, session });
    const recomputed = createRecomputeDecoder(model);
    for (const chunk of [[1, 5, 9, 17, 3], [22], [40, 8], [11], [30, 31, 32], [7]]) {
      const a = await cached.append(chunk);
      const b = await recomputed.append(chunk);
      expect(a.length).toBe(weights.config.vocabSize);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    }
  });

  it("refuses no tokens, ids outside the vocabulary and more tokens than the context", async () => {
    const decoder = createKvCacheDecoder({ config: weights.config, session, modelId: "tiny" });
    await expect(decoder.append([])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(decoder.append([1, weights.config.vocabSize])).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await decoder.append(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect(decoder.append([1, 2, 3, 4, 5])).rejects.toMatchObject({ code: "PROMPT_TOO_LONG" });
    // A refused call leaves the cache as it was: the context still has room for 4.
    const logits = await decoder.append([1, 2, 3, 4]);
    const reference = createRecomputeDecoder(model);
    await reference.append([...Array.from({ length: 20 }, (_, i) => i + 1), 1, 2, 3]);
    expect(maxAbsDiff(logits, await reference.append([4]))).toBeLessThan(1e-5);
  });
});
