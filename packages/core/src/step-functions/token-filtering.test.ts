import { describe, expect, it } from "vitest";
import { seededUniform } from "../random/seeded-random.ts";
import { keptTokenIndices, tokensByProbability, topPSetSize } from "./token-filtering.ts";

/** Reference: indices sorted by probability, top-p prefix (≥ min), then at most max(k, min) of them. */
function bruteForceKept(logits: number[], topK: number, topP: number, minTokensToKeep: number): number[] {
  const maximum = Math.max(...logits);
  const weights = logits.map((value) => Math.exp(value - maximum));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const order = logits.map((_, index) => index).sort((a, b) => weights[b]! - weights[a]! || a - b);
  let kept = order;
  if (topP < 1) {
    let cumulative = 0;
    let count = 0;
    while (count < order.length && cumulative < topP) cumulative += weights[order[count++]!]! / total;
    kept = order.slice(0, Math.max(count, minTokensToKeep));
  }
  if (topK > 0) kept = kept.slice(0, Math.max(topK, minTokensToKeep));
  return kept;
}

describe("token filtering (top-p then top-k, from the original distribution)", () => {
  it("keeps everything (undefined) when both filters are off", () => {
    expect(keptTokenIndices([3, 1, 2], { topK: 0, topP: 1, minTokensToKeep: 1 })).toBeUndefined();
  });

  it("orders tokens by probability, ties and underflowed tokens deterministically", () => {
    expect(Array.from(tokensByProbability([0, 5, 5, -2000, -1000, Number.NEGATIVE_INFINITY]))).toEqual([
      1, 2, 0, 4, 3, 5,
    ]);
  });

  it("matches a brute-force reference on random logits", () => {
    const uniform = seededUniform(7);
    let differentFromTopK = 0;
    for (let trial = 0; trial < 300; trial++) {
      const vocabularySize = [7, 50, 200][trial % 3]!;
      const logits = Array.from({ length: vocabularySize }, () => 4 * (2 * uniform() - 1));
      const topK = [0, 1, 3, 10][trial % 4]!;
      const topP = [1, 0.3, 0.7, 0.95][(trial >> 2) % 4]!;
      const minTokensToKeep = [1, 1, 2, 5][(trial >> 4) % 4]!;
      const expected = bruteForceKept(logits, topK, topP, minTokensToKeep);
      const kept = keptTokenIndices(logits, { topK, topP, minTokensToKeep });
      if (topK === 0 && topP === 1) expect(kept).toBeUndefined();
      else expect(Array.from(kept!)).toEqual(expected);
      if (topK > 0 && topP < 1 && expected.length < Math.max(topK, minTokensToKeep)) differentFromTopK++;
    }
    // Some cases must have top-p smaller than top-k, so the intersection really is exercised.
    expect(differentFromTopK).toBeGreaterThan(5);
  });

  it("top-p keeps the smallest prefix reaching top_p, at least min_tokens_to_keep", () => {
    // Probabilities 0.5, 0.25, 0.125, 0.125 (cumulative 0.5, 0.75, 0.875, 1). Thresholds sit off the exact
    // boundaries, where the float rounding of exp decides (as it does in Inseq and transformers).
    const logits = [Math.log(4), Math.log(2), 0, 0];
    expect(topPSetSize(logits, 0.49)).toBe(1);
    expect(topPSetSize(logits, 0.51)).toBe(2);
    expect(topPSetSize(logits, 0.74)).toBe(2);
    expect(topPSetSize(logits, 0.76)).toBe(3);
    expect(topPSetSize(logits, 0.88)).toBe(4);
    expect(topPSetSize(logits, 1)).toBe(4);
    expect(topPSetSize(logits, 0.49, 3)).toBe(3);
    expect(topPSetSize(logits, 0.49, 9)).toBe(4);
  });

  it("top_p = 1 drops only tokens whose probability is exactly 0 (as Inseq does)", () => {
    expect(topPSetSize([0, 0, Number.NEGATIVE_INFINITY], 1)).toBe(2);
    expect(topPSetSize([0, -1e6, -10], 1)).toBe(2);
  });

  it("top-k above the vocabulary keeps every token", () => {
    expect(Array.from(keptTokenIndices([1, 3, 2], { topK: 10, topP: 1, minTokensToKeep: 1 })!)).toEqual([
      1, 2, 0,
    ]);
  });
});
