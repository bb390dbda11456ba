import { describe, expect, it } from "vitest";
import { evaluateStepFunction } from "./evaluate.ts";
import { klDivergence } from "./kl-divergence.ts";

/** Independent reference: KL over `kept` with both distributions renormalised there, by plain loops. */
function referenceKl(original: number[], contrast: number[], kept: number[]): number {
  const normalise = (values: number[]) => {
    const weights = kept.map((index) => Math.exp(values[index]!));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    return weights.map((weight) => weight / total);
  };
  const p = normalise(original);
  const q = normalise(contrast);
  return p.reduce((sum, pi, k) => sum + pi * Math.log(pi / q[k]!), 0);
}

const original = [2.0, 1.5, 0.3, -0.4, -1.0, 0.9, -2.2];
const contrast = [0.1, 1.9, 0.8, -0.2, 0.5, -1.1, 0.0];
// Probabilities of `original`, most probable first: 2.0 (0), 1.5 (1), 0.9 (5), 0.3 (2), -0.4 (3), -1.0 (4), -2.2 (6).
const byProbability = [0, 1, 5, 2, 3, 4, 6];

function klOf(parameters: Record<string, unknown>) {
  return evaluateStepFunction(
    klDivergence,
    {
      logits: Float64Array.from(original),
      targetId: 0,
      contrastLogits: Float64Array.from(contrast),
      parameters,
    },
    { withGradient: true },
  );
}

function cumulativeMassOf(count: number): number {
  const total = original.reduce((sum, value) => sum + Math.exp(value), 0);
  return byProbability.slice(0, count).reduce((sum, index) => sum + Math.exp(original[index]!) / total, 0);
}

describe("kl_divergence", () => {
  it("matches an independent reference without filtering", () => {
    const output = klOf({});
    expect(output.value).toBeGreaterThan(0);
    expect(output.value).toBeCloseTo(referenceKl(original, contrast, [0, 1, 2, 3, 4, 5, 6]), 14);
  });

  it("top_k keeps the k most probable tokens of P, renormalised in both", () => {
    const output = klOf({ top_k: 3 });
    expect(output.value).toBeCloseTo(referenceKl(original, contrast, [0, 1, 5]), 14);
    for (const removed of [2, 3, 4, 6]) {
      expect(output.gradLogits![removed]).toBe(0);
      expect(output.gradContrastLogits![removed]).toBe(0);
    }
  });

  it("top_p keeps the smallest most-probable set reaching top_p; with top_k it is the intersection", () => {
    // Pick top_p between the mass of the top 3 and the top 4 tokens: top-p keeps 4 tokens.
    const topP = (cumulativeMassOf(3) + cumulativeMassOf(4)) / 2;
    expect(klOf({ top_p: topP }).value).toBeCloseTo(
      referenceKl(original, contrast, byProbability.slice(0, 4)),
      14,
    );
    expect(klOf({ top_p: topP, top_k: 2 }).value).toBeCloseTo(referenceKl(original, contrast, [0, 1]), 14);
    expect(klOf({ top_p: topP, top_k: 6 }).value).toBeCloseTo(
      referenceKl(original, contrast, byProbability.slice(0, 4)),
      14,
    );
    // min_tokens_to_keep raises a tiny top-p set.
    expect(klOf({ top_p: 0.01, min_tokens_to_keep: 3 }).value).toBeCloseTo(
      referenceKl(original, contrast, [0, 1, 5]),
      14,
    );
  });

  it("the gradient on the contrast side is Q − P and sums to 0 over the kept set", () => {
    const output = klOf({ top_k: 4 });
    const total = output.gradContrastLogits!.reduce((sum, g) => sum + g, 0);
    expect(Math.abs(total)).toBeLessThan(1e-15);
    const totalOriginal = output.gradLogits!.reduce((sum, g) => sum + g, 0);
    expect(Math.abs(totalOriginal)).toBeLessThan(1e-15);
  });

  it("is infinite when Q gives 0 where P does not, and finite the other way round", () => {
    const masked = Float64Array.from([0, 0, Number.NEGATIVE_INFINITY]);
    const full = Float64Array.from([0, 0, 0]);
    const infinite = klDivergence.evaluate(
      {
        logits: full,
        targetId: 0,
        contrastLogits: masked,
        parameters: { top_k: 0, top_p: 1, min_tokens_to_keep: 1 },
      },
      false,
    );
    expect(infinite.value).toBe(Number.POSITIVE_INFINITY);
    const finite = klDivergence.evaluate(
      {
        logits: masked,
        targetId: 0,
        contrastLogits: full,
        parameters: { top_k: 0, top_p: 1, min_tokens_to_keep: 1 },
      },
      true,
    );
    // P = (1/2, 1/2, 0), Q uniform over 3: KL = log(3/2).
    expect(finite.value).toBeCloseTo(Math.log(1.5), 15);
    expect(Array.from(finite.gradLogits!).every(Number.isFinite)).toBe(true);
  });

  it("rejects bad filtering parameters", () => {
    for (const parameters of [
      { top_k: -1 },
      { top_k: 1.5 },
      { top_p: 0 },
      { top_p: 1.2 },
      { min_tokens_to_keep: 0 },
    ]) {
      expect(() => klOf(parameters), JSON.stringify(parameters)).toThrow(
        expect.objectContaining({ code: "INVALID_PARAMETERS" }),
      );
    }
  });

  it("needs contrast logits", () => {
    expect(() =>
      klDivergence.evaluate(
        {
          logits: Float64Array.from(original),
          targetId: 0,
          parameters: { top_k: 0, top_p: 1, min_tokens_to_keep: 1 },
        },
        false,
      ),
    ).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringMatching(/contrastLogits/) }),
    );
  });
});
