import { describe, expect, it } from "vitest";
import { accumulateTargetScoreGradient, gradientLike, logSumExp, softmax, targetScore } from "./math.ts";

describe("logSumExp", () => {
  it("matches the naive formula where that is safe", () => {
    const values = [0.3, -1.2, 2.5, 0];
    const naive = Math.log(values.reduce((sum, value) => sum + Math.exp(value), 0));
    expect(logSumExp(values)).toBeCloseTo(naive, 15);
  });

  it("stays finite and exact for ±1000, where the naive formula overflows", () => {
    expect(Math.log(Math.exp(1000))).toBe(Number.POSITIVE_INFINITY);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logSumExp([1000, -1000])).toBe(1000);
  });

  it("handles −Infinity entries and index subsets", () => {
    expect(logSumExp([Number.NEGATIVE_INFINITY, 0])).toBe(0);
    expect(logSumExp([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp([5, 0, 0, 9], [1, 2])).toBeCloseTo(Math.LN2, 15);
  });
});

describe("softmax and target scores", () => {
  it("softmax sums to 1 and is shift invariant", () => {
    const probabilities = softmax([1, 2, 3, 4]);
    expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 15);
    const shifted = softmax([1001, 1002, 1003, 1004]);
    for (let i = 0; i < 4; i++) expect(shifted[i]).toBeCloseTo(probabilities[i]!, 14);
  });

  it("gradients of the three target scores have their closed forms", () => {
    const logits = [0.5, -1, 2];
    const lse = logSumExp(logits);
    const p = softmax(logits);
    expect(targetScore("logit", logits, 1, lse)).toBe(-1);
    expect(targetScore("probability", logits, 2, lse)).toBeCloseTo(p[2]!, 15);
    const logprobGradient = new Float64Array(3);
    accumulateTargetScoreGradient("logprob", logits, 2, lse, 2, logprobGradient);
    expect(Array.from(logprobGradient).map((g) => +g.toFixed(14))).toEqual(
      [-2 * p[0]!, -2 * p[1]!, 2 * (1 - p[2]!)].map((g) => +g.toFixed(14)),
    );
    // Probability gradients sum to 0 because Σ p = 1 is constant.
    const probabilityGradient = new Float64Array(3);
    accumulateTargetScoreGradient("probability", logits, 0, lse, 1, probabilityGradient);
    expect(probabilityGradient.reduce((sum, g) => sum + g, 0)).toBeCloseTo(0, 15);
  });

  it("hands gradients back in the input's array type", () => {
    const gradient = Float64Array.from([0.1, 0.2]);
    expect(gradientLike(new Float64Array(2), gradient)).toBe(gradient);
    const single = gradientLike(new Float32Array(2), gradient);
    expect(single).toBeInstanceOf(Float32Array);
    expect(single[1]).toBe(Math.fround(0.2));
  });
});
