import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { logSumExp, scorePositions, topK } from "./log-probabilities.ts";
import { forwardLogprobs, promptIds } from "./server.test-helpers.ts";

describe("topK", () => {
  it("keeps the k largest, largest first, the lower id first on ties", () => {
    const row = [0.5, 2, 1, 2, -1, 1];
    expect(topK(row, 0, row.length, 4, 0)).toEqual([
      { id: 1, logprob: 2 },
      { id: 3, logprob: 2 },
      { id: 2, logprob: 1 },
      { id: 5, logprob: 1 },
    ]);
    expect(topK(row, 0, row.length, 0, 0)).toEqual([]);
    expect(topK([9, 1, 3, 2], 1, 3, 2, 1)).toEqual([
      { id: 1, logprob: 2 },
      { id: 2, logprob: 1 },
    ]);
  });
});

describe("logSumExp", () => {
  it("is stable for large logits", () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([1, 2, 3])).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3), 12);
  });
});

describe("scorePositions", () => {
  it("gives the same numbers split over many forward calls as in one", async () => {
    const model = createToyModel();
    const ids = await promptIds(model, "split me into calls");
    const positions = ids.slice(1).map((_, p) => p);
    const whole = await scorePositions(model, ids, positions, 3);
    let calls = 0;
    const counted = {
      ...model,
      forward: (request: Parameters<NonNullable<typeof model.forward>>[0]) => {
        calls++;
        return model.forward!(request);
      },
    };
    const split = await scorePositions(counted, ids, positions, 3, undefined, model.info.vocabSize * 4);
    expect(calls).toBe(Math.ceil(positions.length / 4));
    expect(split).toEqual(whole);
    const { next } = await forwardLogprobs(model, ids);
    for (const [p, score] of whole.entries()) expect(Math.abs(score.logprob - next[p]!)).toBeLessThan(1e-12);
  });
});
