import { describe, expect, it } from "vitest";
import { importance } from "./probes.ts";

describe("importance", () => {
  it("is the softmax of the scores, also over more positions than a spread call can take", () => {
    const scores = new Float64Array(300_000).map((_, index) => (index % 7) / 7);
    const weights = importance(scores);
    expect(weights.reduce((total, value) => total + value, 0)).toBeCloseTo(1, 9);
    expect(weights[6]! / weights[0]!).toBeCloseTo(Math.exp(6 / 7), 12);
  });
});
