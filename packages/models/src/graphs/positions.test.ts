import { describe, expect, it } from "vitest";
import { randomWeights } from "../testing/random-weights.ts";
import { buildDecoderGraph } from "./build-decoder-graph.ts";
import { int64Rows, maxAbsDiff, plainFeeds, runDecoder } from "./run.test-helpers.ts";

const prompt = [1, 7, 30, 3, 45, 12, 9, 2];

describe("positions", () => {
  it("linear RoPE scaling by 2 at positions 2p equals no scaling at positions p", async () => {
    const weights = randomWeights("llama", {}, 8);
    const scaled = randomWeights("llama", { ropeScaling: { type: "linear", factor: 2 } }, 8);
    const plain = await runDecoder(buildDecoderGraph(weights), plainFeeds([prompt]));
    const feeds = plainFeeds([prompt]);
    feeds["position_ids"] = int64Rows([prompt.map((_, p) => 2 * p)]);
    const stretched = await runDecoder(buildDecoderGraph(scaled), feeds);
    expect(maxAbsDiff(stretched["logits"]!.data, plain["logits"]!.data)).toBeLessThan(1e-5);
    // Without the scaling, positions 2p are different positions.
    const unscaled = await runDecoder(buildDecoderGraph(weights), feeds);
    expect(maxAbsDiff(unscaled["logits"]!.data, plain["logits"]!.data)).toBeGreaterThan(1e-3);
  });

  it("a sliding window of 3 in a one-layer model equals running the last 3 tokens alone", async () => {
    const weights = randomWeights("mistral", { numLayers: 1, slidingWindow: 3 }, 9);
    const windowed = await runDecoder(buildDecoderGraph(weights), plainFeeds([prompt]));
    const vocab = weights.config.vocabSize;
    const full = await runDecoder(
      buildDecoderGraph({ ...weights, config: { ...weights.config, slidingWindow: undefined } }),
      plainFeeds([prompt]),
    );
    for (const t of [4, 7]) {
      const alone = await runDecoder(buildDecoderGraph(weights), {
        ...plainFeeds([prompt.slice(t - 2, t + 1)]),
        position_ids: int64Rows([[t - 2, t - 1, t]]),
      });
      const row = windowed["logits"]!.data.subarray(t * vocab, (t + 1) * vocab);
      expect(maxAbsDiff(row, alone["logits"]!.data.subarray(2 * vocab, 3 * vocab))).toBeLessThan(1e-5);
      expect(maxAbsDiff(row, full["logits"]!.data.subarray(t * vocab, (t + 1) * vocab))).toBeGreaterThan(
        1e-3,
      );
    }
  });
});
