import { buildGradientGraph } from "@tokenscope/tensor-backends";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { describe, expect, it } from "vitest";
import { createKvCacheDecoder } from "../language-model/kv-cache-decoder.ts";
import { randomWeights } from "../testing/random-weights.ts";
import { referenceForward } from "../testing/reference-llama.ts";
import type { DecoderWeights, RopeScaling } from "../weights/types.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { floatTensor, maxAbsDiff, plainFeeds, runDecoder, sessionOf } from "./run.test-helpers.ts";

// A tiny Phi-3 with LongRoPE: original context 4, max 32 (attention factor sqrt(1 + ln 8 / ln 4)).
const longRope: RopeScaling = {
  type: "longrope",
  shortFactor: [1, 1.5, 2, 3],
  longFactor: [2, 4, 7, 11],
  originalMaxPositionEmbeddings: 4,
  attentionFactor: Math.sqrt(1 + Math.log(8) / Math.log(4)),
};
const weights = randomWeights("phi3", { contextLength: 32, ropeScaling: longRope }, 41);
/** The same weights with the short factors used at every length. */
const shortOnly: DecoderWeights = {
  ...weights,
  config: { ...weights.config, ropeScaling: { ...longRope, longFactor: longRope.shortFactor } },
};
const shortPrompt = [5, 17, 3, 40];
const longPrompt = [5, 17, 3, 40, 9, 22, 41, 8, 30, 2];

async function logitsOf(ids: number[], dataType: "float32" | "float64", source = weights) {
  const graph = buildDecoderGraph(source, { dataType });
  return (await runDecoder(graph, plainFeeds([ids])))["logits"]!.data;
}

describe("LongRoPE (Phi-3) in the graph", () => {
  it("a prompt no longer than the original context uses the short factors: the reference within 1e-4 (float32) and 1e-9 (float64)", async () => {
    const expected = referenceForward(weights, shortPrompt).data;
    expect(maxAbsDiff(await logitsOf(shortPrompt, "float32"), expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await logitsOf(shortPrompt, "float64"), expected)).toBeLessThan(1e-9);
  });

  it("a prompt longer than the original context uses the long factors: the reference within 1e-4 / 1e-9", async () => {
    const expected = referenceForward(weights, longPrompt).data;
    expect(maxAbsDiff(await logitsOf(longPrompt, "float32"), expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(await logitsOf(longPrompt, "float64"), expected)).toBeLessThan(1e-9);
  });

  it("the switch matters: long and short factors differ by more than 1e-3 on the long prompt", async () => {
    const long = await logitsOf(longPrompt, "float64");
    const short = await logitsOf(longPrompt, "float64", shortOnly);
    expect(maxAbsDiff(short, referenceForward(shortOnly, longPrompt).data)).toBeLessThan(1e-9);
    expect(maxAbsDiff(long, short)).toBeGreaterThan(1e-3);
    // On the short prompt both tables give the same logits: the long one is not used.
    expect(
      maxAbsDiff(await logitsOf(shortPrompt, "float64"), await logitsOf(shortPrompt, "float64", shortOnly)),
    ).toBeLessThan(1e-12);
  });

  it("KV-cache generation across the threshold equals full recomputation at every step (1e-4)", async () => {
    const runtime = createOnnxruntimeNodeRuntime();
    const session = () =>
      runtime.createSession(buildDecoderGraph(weights, { kvCache: true, gatherLogits: true }).model);
    const decoder = createKvCacheDecoder({ config: weights.config, session });
    const vocab = weights.config.vocabSize;
    const sequence: number[] = [];
    // Lengths 2, 3, 4 (short), 5 (crosses: the cache is rebuilt), 6, 8 (long, cached).
    for (const chunk of [[5, 17], [3], [40], [9], [22], [41, 8]]) {
      sequence.push(...chunk);
      const cached = await decoder.append(chunk);
      const full = referenceForward(weights, sequence).data;
      const last = full.subarray((sequence.length - 1) * vocab, sequence.length * vocab);
      expect(maxAbsDiff(cached, last)).toBeLessThan(1e-4);
    }
  });

  it("differentiates past the threshold: d logit / d inputs_embeds matches central differences (float64)", async () => {
    const { hiddenSize: hidden, vocabSize: vocab } = weights.config;
    const seq = longPrompt.length;
    const graph = buildDecoderGraph(weights, { input: "embeds", dataType: "float64" });
    const gradients = await sessionOf(
      buildGradientGraph(graph.model, { of: ["logits"], wrt: ["inputs_embeds"] }),
    );
    const rows = weights.tensors.get("model.embed_tokens.weight")!.data;
    const embeds = Float64Array.from(
      longPrompt.flatMap((id) => Array.from(rows.subarray(id * hidden, (id + 1) * hidden))),
    );
    const { input_ids: _, ...feeds } = plainFeeds([longPrompt]);
    const embedsFeed = (values: Float64Array) => floatTensor(values, [1, seq, hidden], "float64");
    const target = (seq - 1) * vocab + 7;
    const seed = new Float64Array(seq * vocab);
    seed[target] = 1;
    const outputs = await gradients.run({
      ...feeds,
      inputs_embeds: embedsFeed(embeds),
      logits_grad: floatTensor(seed, [1, seq, vocab], "float64"),
    });
    const gradient = outputs["inputs_embeds_grad"]!.data as Float64Array;
    const forward = await sessionOf(graph.model);
    const objective = async (values: Float64Array) =>
      ((await forward.run({ ...feeds, inputs_embeds: embedsFeed(values) }))["logits"]!.data as Float64Array)[
        target
      ]!;
    for (const index of [3, 2 * hidden + 5, (seq - 1) * hidden + 1]) {
      const plus = Float64Array.from(embeds);
      const minus = Float64Array.from(embeds);
      plus[index]! += 1e-5;
      minus[index]! -= 1e-5;
      const numeric = ((await objective(plus)) - (await objective(minus))) / 2e-5;
      expect(Math.abs(gradient[index]! - numeric)).toBeLessThan(1e-6);
    }
  });
});
