import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { randomDecoderWeights, randomDecoderWeightsCancellable } from "./random-weights.ts";

// Large enough that the embedding spans several fill steps (2^20 values each).
const config = {
  vocabSize: 3000,
  hiddenSize: 512,
  intermediateSize: 64,
  numLayers: 1,
  numHeads: 8,
  numKeyValueHeads: 8,
  headDim: 64,
};

describe("randomDecoderWeightsCancellable", () => {
  it("gives exactly the weights of randomDecoderWeights for the same seed", async () => {
    const sync = randomDecoderWeights(config, 7);
    const stepped = await randomDecoderWeightsCancellable(config, 7);
    expect([...stepped.tensors.keys()]).toEqual([...sync.tensors.keys()]);
    for (const [name, tensor] of sync.tensors) {
      const same = Buffer.from(stepped.tensors.get(name)!.data.buffer).equals(
        Buffer.from(tensor.data.buffer),
      );
      expect(same, name).toBe(true);
    }
  });

  it("lets the event loop run while it fills, and stops with ABORTED when the signal aborts", async () => {
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
      controller.abort();
    }, 0);
    const error = await randomDecoderWeightsCancellable(config, 7, controller.signal).catch(
      (caught) => caught,
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(isTokenscopeError(error, "ABORTED")).toBe(true);
  });
});
