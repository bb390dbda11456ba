import { type GenerationOptions, type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDecoderGraph } from "../graphs/build-decoder-graph.ts";
import { loadModel } from "../load-model.ts";
import { onceUponATimeIds, stories260kDir } from "../testing/assets.test-helpers.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { generateTokens } from "./generate.ts";
import { idTextTokenizer } from "./id-tokenizer.test-helpers.ts";
import { createRecomputeDecoder, type IncrementalDecoder } from "./incremental-decoder.ts";
import { createKvCacheDecoder } from "./kv-cache-decoder.ts";
import { createOnnxLanguageModel } from "./onnx-language-model.ts";
import { createTokenChooser } from "./sampling.ts";

const runtime = createOnnxruntimeNodeRuntime();
const prompt = [1, 5, 9, 17];
const sampling = { temperature: 0.9, topK: 20, topP: 0.95, seed: 7 } as const;

/**
 * Generation as it was before the KV cache: every step runs the whole sequence through `forward`
 * and chooses from the last position's logits. Written out here so that the cached path is checked
 * against something that does not share its loop.
 */
async function generateByRecomputing(
  model: LanguageModel,
  promptIds: number[],
  options: GenerationOptions,
): Promise<number[]> {
  const choose = createTokenChooser(options);
  const stops = new Set(options.stopTokenIds ?? model.info.specialTokens.eos ?? []);
  const forced = options.forcedIds ?? options.prefixIds ?? [];
  const maxNewTokens = options.maxNewTokens ?? 32;
  const limit = options.forcedIds ? Math.min(maxNewTokens, options.forcedIds.length) : maxNewTokens;
  const ids: number[] = [];
  while (ids.length < limit) {
    let next = forced[ids.length];
    if (next === undefined) {
      const sequence = [...promptIds, ...ids];
      const { logits } = await model.forward!({
        inputs: { ids: [sequence] },
        positions: [[sequence.length - 1]],
      });
      next = choose(logits.data);
    }
    ids.push(next);
    if (stops.has(next) && ids.length > forced.length) break;
  }
  return ids;
}

/** Wraps a decoder and records how many ids each call appended. */
function counting(inner: IncrementalDecoder): IncrementalDecoder & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    append: (ids) => {
      calls.push(ids.length);
      return inner.append(ids);
    },
  };
}

function randomModel(architecture: string): LanguageModel {
  const weights = randomWeights(architecture, {}, 21);
  return createOnnxLanguageModel({
    id: `random ${architecture}`,
    weights,
    tokenizer: idTextTokenizer(weights.config.vocabSize),
    runtime,
  });
}

beforeAll(() => registerCoreBuiltins());

describe.each(["llama", "qwen3", "gemma2", "gpt2", "gpt_neox"])(
  "generate on a random %s, with the KV cache",
  (architecture) => {
    const model = randomModel(architecture);
    afterAll(() => model.dispose?.());

    it("gives the ids of recomputing every step: greedy, sampled with a seed, with a prefix", async () => {
      for (const options of [
        { maxNewTokens: 30, stopTokenIds: [] },
        { maxNewTokens: 40, stopTokenIds: [], ...sampling },
        { maxNewTokens: 30, prefixIds: [3, 4, 2], temperature: 1, seed: 3 },
      ] satisfies GenerationOptions[]) {
        const expected = await generateByRecomputing(model, prompt, options);
        const { ids, text } = await model.generate!(prompt, options);
        expect(ids).toEqual(expected);
        expect(text).toBe(ids.map((id) => `<${id}>`).join(""));
      }
    });
  },
);

describe("generate on a random llama: forced ids, prefix, stops, progress, abort", () => {
  const model = randomModel("llama");
  const weights = randomWeights("llama", {}, 21);
  const cachedDecoder = () =>
    counting(
      createKvCacheDecoder({
        config: weights.config,
        session: () =>
          runtime.createSession(buildDecoderGraph(weights, { kvCache: true, gatherLogits: true }).model),
      }),
    );
  afterAll(() => model.dispose?.());

  it("samples with a seed the ids the implementation before the cache gave (recorded)", async () => {
    const { ids } = await model.generate!(prompt, { maxNewTokens: 40, stopTokenIds: [], ...sampling });
    expect(ids).toEqual([
      43, 17, 17, 36, 14, 15, 6, 7, 9, 29, 17, 25, 42, 6, 43, 41, 4, 2, 14, 44, 42, 14, 15, 4, 26, 42, 40, 40,
      37, 24, 28, 32, 17, 28, 32, 41, 0, 14, 6, 20,
    ]);
  });

  it("feeds the prompt once, then one token per step; forced ids go in with the next step", async () => {
    const decoder = cachedDecoder();
    const result = await generateTokens(model, prompt, { maxNewTokens: 8, prefixIds: [3, 4, 5] }, decoder);
    expect(result.ids.slice(0, 3)).toEqual([3, 4, 5]);
    expect(result.ids).toHaveLength(8);
    expect(decoder.calls).toEqual([prompt.length + 3, 1, 1, 1, 1]);
    expect(result.ids).toEqual(
      await generateByRecomputing(model, prompt, { maxNewTokens: 8, prefixIds: [3, 4, 5] }),
    );
  });

  it("emits forced ids without running the model", async () => {
    const decoder = cachedDecoder();
    const result = await generateTokens(
      model,
      prompt,
      { maxNewTokens: 3, forcedIds: [7, 2, 9, 11] },
      decoder,
    );
    expect(result.ids).toEqual([7, 2, 9]);
    expect(decoder.calls).toEqual([]);
  });

  it("stops after a stop token it chose, not after one in the prefix", async () => {
    const free = await generateByRecomputing(model, prompt, { maxNewTokens: 30, stopTokenIds: [] });
    const stop = free[4]!;
    const expected = free.slice(0, free.indexOf(stop) + 1);
    expect((await model.generate!(prompt, { maxNewTokens: 30, stopTokenIds: [stop] })).ids).toEqual(expected);
    const eosInPrefix = await model.generate!(prompt, {
      maxNewTokens: 6,
      prefixIds: [3, 2],
      stopTokenIds: [2],
    });
    expect(eosInPrefix.ids.slice(0, 2)).toEqual([3, 2]);
    expect(eosInPrefix.ids.length).toBeGreaterThan(2);
  });

  it("reports progress per token and stops on abort between steps", async () => {
    const progress: [number, number | undefined][] = [];
    await model.generate!(prompt, {
      maxNewTokens: 5,
      stopTokenIds: [],
      onProgress: (event) => progress.push([event.completed, event.total]),
    });
    expect(progress).toEqual([1, 2, 3, 4, 5].map((completed) => [completed, 5]));

    const controller = new AbortController();
    const decoder = cachedDecoder();
    const run = generateTokens(
      model,
      prompt,
      {
        maxNewTokens: 20,
        stopTokenIds: [],
        signal: controller.signal,
        onProgress: (event) => {
          if (event.completed === 3) controller.abort(new Error("enough"));
        },
      },
      decoder,
    );
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(decoder.calls).toEqual([prompt.length, 1, 1]);
  });

  it("refuses more new tokens than the limit before the decoder runs", async () => {
    const decoder = cachedDecoder();
    const error = (await generateTokens(model, prompt, { maxNewTokens: 1e9 }, decoder).catch(
      (caught: unknown) => caught,
    )) as Error & { code: string };
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("maxNewTokens is 1,000,000,000 tokens");
    expect(error.message).toContain("limit of 131,072");
    expect(decoder.calls).toEqual([]);
  });

  it("recomputes through forward when no decoder is given, with the same ids", async () => {
    const options = { maxNewTokens: 20, stopTokenIds: [], ...sampling };
    const recomputed = await generateTokens(model, prompt, options);
    const explicit = await generateTokens(model, prompt, options, createRecomputeDecoder(model));
    expect(recomputed.ids).toEqual((await model.generate!(prompt, options)).ids);
    expect(explicit.ids).toEqual(recomputed.ids);
  });
});

describe("generate on stories260K with the KV cache", () => {
  let model: LanguageModel;
  beforeAll(async () => {
    model = await loadModel(stories260kDir);
  });
  afterAll(() => model.dispose?.());

  it("gives the ids of recomputing every step: 200 greedy tokens, 100 sampled with a seed", async () => {
    for (const options of [
      { maxNewTokens: 200, stopTokenIds: [] },
      { maxNewTokens: 100, temperature: 0.8, topK: 40, seed: 42 },
    ] satisfies GenerationOptions[]) {
      const expected = await generateByRecomputing(model, onceUponATimeIds, options);
      expect((await model.generate!(onceUponATimeIds, options)).ids).toEqual(expected);
    }
  });
});
