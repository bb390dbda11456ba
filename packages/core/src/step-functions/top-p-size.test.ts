import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { seededUniform } from "../random/seeded-random.ts";
import { evaluateStepFunction } from "./evaluate.ts";
import { topPSize } from "./top-p-size.ts";

/** Independent reference: sort probabilities, count until the running sum reaches top_p. */
function bruteForceTopPSize(logits: ArrayLike<number>, topP: number): number {
  const values = Array.from(logits);
  const maximum = Math.max(...values);
  const weights = values.map((value) => Math.exp(value - maximum));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const sorted = weights.map((weight) => weight / total).sort((a, b) => b - a);
  let cumulative = 0;
  for (let count = 1; count <= sorted.length; count++) {
    cumulative += sorted[count - 1]!;
    if (cumulative >= topP) return count;
  }
  return sorted.length;
}

describe("top_p_size", () => {
  it("counts the same tokens as a brute-force sort", () => {
    const uniform = seededUniform(99);
    let checked = 0;
    const sizes = new Set<number>();
    for (const vocabularySize of [7, 50, 1000]) {
      for (const scale of [0.5, 2, 6]) {
        for (const topP of [0.1, 0.5, 0.7, 0.9, 0.99]) {
          for (let trial = 0; trial < 4; trial++) {
            const logits = Float64Array.from({ length: vocabularySize }, () => scale * (2 * uniform() - 1));
            const value = topPSize.evaluate(
              { logits, targetId: 0, parameters: { top_p: topP } },
              false,
            ).value;
            expect(value, `vocab ${vocabularySize}, scale ${scale}, top_p ${topP}`).toBe(
              bruteForceTopPSize(logits, topP),
            );
            sizes.add(value);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(180);
    // The cases must cover many different sizes, not only 1 or the whole vocabulary.
    expect(sizes.size).toBeGreaterThan(40);
  });

  it("uses top_p = 0.9 by default and works on float32 logits", () => {
    const logits = Float32Array.from([4, 3, 2, 1, 0, -1, -2]);
    const byDefault = evaluateStepFunction(topPSize, { logits, targetId: 2 }, { withGradient: false });
    expect(byDefault.value).toBe(bruteForceTopPSize(logits, 0.9));
    expect(byDefault.value).toBe(3);
    expect(
      evaluateStepFunction(
        topPSize,
        { logits, targetId: 2, parameters: { top_p: 0.5 } },
        { withGradient: false },
      ).value,
    ).toBe(1);
  });

  it("is 1 for a peaked distribution and counts tied tokens one by one", () => {
    expect(
      topPSize.evaluate(
        { logits: Float64Array.from([1000, 0, -1000]), targetId: 0, parameters: { top_p: 0.9 } },
        false,
      ).value,
    ).toBe(1);
    // Uniform over 10 (0.1 each): 5 tokens reach 0.45; every tie is counted once.
    const uniform = topPSize.evaluate(
      { logits: new Float64Array(10), targetId: 0, parameters: { top_p: 0.45 } },
      false,
    );
    expect(uniform.value).toBe(5);
    const all = topPSize.evaluate(
      { logits: new Float64Array(10), targetId: 0, parameters: { top_p: 1 } },
      false,
    );
    expect(all.value).toBe(10);
  });

  it("refuses a gradient with NOT_DIFFERENTIABLE, directly and through evaluateStepFunction", () => {
    const logits = Float64Array.from([1, 2, 3]);
    const direct = () => topPSize.evaluate({ logits, targetId: 0, parameters: { top_p: 0.9 } }, true);
    expect(direct).toThrow(/top_p_size is value-only/);
    try {
      direct();
    } catch (error) {
      expect(isTokenscopeError(error, "NOT_DIFFERENTIABLE")).toBe(true);
      expect((error as { hint?: string }).hint).toMatch(/attribute another step function/);
    }
    expect(() => evaluateStepFunction(topPSize, { logits, targetId: 0 }, { withGradient: true })).toThrow(
      expect.objectContaining({ code: "NOT_DIFFERENTIABLE" }),
    );
  });

  it("rejects top_p outside (0, 1]", () => {
    const logits = Float64Array.from([1, 2, 3]);
    for (const top_p of [0, -0.5, 1.5]) {
      expect(() =>
        evaluateStepFunction(
          topPSize,
          { logits, targetId: 0, parameters: { top_p } },
          { withGradient: false },
        ),
      ).toThrow(expect.objectContaining({ code: "INVALID_PARAMETERS" }));
    }
  });
});
