import { describe, expect, it } from "vitest";
import { seededUniform } from "../random/seeded-random.ts";
import {
  contrastLogits,
  contrastLogitsDiff,
  contrastProb,
  contrastProbDiff,
  crossentropy,
  entropy,
  inContextPvi,
  klDivergence,
  logit,
  logprob,
  pcxmi,
  perplexity,
  probability,
} from "./index.ts";

function seededLogits(seed: number) {
  const uniform = seededUniform(seed);
  return (count: number, scale = 3) =>
    Float64Array.from({ length: count }, () => scale * (2 * uniform() - 1));
}

const next = seededLogits(20240607);
const cases = Array.from({ length: 20 }, (_, k) => {
  const vocabularySize = [7, 50, 1000][k % 3]!;
  return {
    logits: next(vocabularySize, 1 + (k % 5)),
    contrast: next(vocabularySize, 1 + (k % 4)),
    targetId: (k * 13) % vocabularySize,
    contrastTargetId: (k * 29 + 1) % vocabularySize,
  };
});
const none = {};
const noLogprob = { logprob: false };
const unfiltered = { top_k: 0, top_p: 1, min_tokens_to_keep: 1 };

describe("exact identities between step functions", () => {
  it("crossentropy == −logprob and perplexity == exp(crossentropy), bit for bit", () => {
    for (const { logits, targetId } of cases) {
      const input = { logits, targetId, parameters: none };
      const lp = logprob.evaluate(input, false).value;
      const ce = crossentropy.evaluate(input, false).value;
      expect(ce === -lp).toBe(true);
      expect(perplexity.evaluate(input, false).value).toBe(Math.exp(ce));
      // Their gradients are exact negatives / exp(ce) multiples of each other too.
      const gradLp = logprob.evaluate(input, true).gradLogits!;
      const gradCe = crossentropy.evaluate(input, true).gradLogits!;
      const gradPpl = perplexity.evaluate(input, true).gradLogits!;
      for (let i = 0; i < logits.length; i++) {
        expect(gradCe[i] === -gradLp[i]!).toBe(true);
        expect(gradPpl[i]).toBeCloseTo(Math.exp(ce) * gradCe[i]!, 12);
      }
    }
  });

  it("logprob == log(probability), and probability with logprob: true is logprob", () => {
    for (const { logits, targetId } of cases) {
      const p = probability.evaluate({ logits, targetId, parameters: noLogprob }, false).value;
      const lp = logprob.evaluate({ logits, targetId, parameters: none }, false).value;
      expect(Math.abs(lp - Math.log(p))).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(lp)));
      expect(probability.evaluate({ logits, targetId, parameters: { logprob: true } }, false).value).toBe(lp);
    }
  });

  it("the probabilities of every token sum to 1", () => {
    const { logits } = cases[1]!;
    let total = 0;
    for (let targetId = 0; targetId < logits.length; targetId++) {
      total += probability.evaluate({ logits, targetId, parameters: noLogprob }, false).value;
    }
    expect(total).toBeCloseTo(1, 14);
  });

  it("contrast functions without contrast data equal their plain versions", () => {
    for (const { logits, targetId } of cases) {
      const input = { logits, targetId, parameters: noLogprob };
      expect(contrastLogits.evaluate({ ...input, parameters: none }, false).value).toBe(
        logit.evaluate({ ...input, parameters: none }, false).value,
      );
      expect(contrastProb.evaluate(input, false).value).toBe(probability.evaluate(input, false).value);
      expect(contrastProb.evaluate({ ...input, parameters: { logprob: true } }, false).value).toBe(
        logprob.evaluate({ ...input, parameters: none }, false).value,
      );
      for (const parameters of [noLogprob, { logprob: true }]) {
        const diff = contrastProbDiff.evaluate({ ...input, parameters }, true);
        expect(diff.value).toBe(0);
        expect(Math.max(...diff.gradLogits!.map(Math.abs))).toBeLessThanOrEqual(1e-16);
        expect(diff.gradContrastLogits).toBeUndefined();
      }
      const logitDiff = contrastLogitsDiff.evaluate({ ...input, parameters: none }, true);
      expect(logitDiff.value).toBe(0);
      expect(logitDiff.gradLogits!.every((component) => component === 0)).toBe(true);
    }
  });

  it("a contrast target alone compares two tokens of the same distribution", () => {
    for (const { logits, targetId, contrastTargetId } of cases) {
      const diff = contrastProbDiff.evaluate(
        { logits, targetId, contrastTargetId, parameters: noLogprob },
        false,
      );
      const p = (id: number) =>
        probability.evaluate({ logits, targetId: id, parameters: noLogprob }, false).value;
      expect(diff.value).toBeCloseTo(p(targetId) - p(contrastTargetId), 15);
      const logitDiff = contrastLogitsDiff.evaluate(
        { logits, targetId, contrastTargetId, parameters: none },
        false,
      );
      expect(logitDiff.value).toBe(logits[targetId]! - logits[contrastTargetId]!);
    }
  });

  it("KL(P‖P) = 0 with a zero gradient on both sides", () => {
    for (const { logits } of cases) {
      for (const parameters of [unfiltered, { top_k: 3, top_p: 0.7, min_tokens_to_keep: 1 }]) {
        const output = klDivergence.evaluate(
          { logits, targetId: 0, contrastLogits: Float64Array.from(logits), parameters },
          true,
        );
        expect(output.value).toBe(0);
        expect(output.gradLogits!.every((component) => component === 0)).toBe(true);
        expect(output.gradContrastLogits!.every((component) => component === 0)).toBe(true);
      }
    }
  });

  it("KL is unchanged by shifting either logit vector by a constant", () => {
    const { logits, contrast } = cases[4]!;
    const base = klDivergence.evaluate(
      { logits, targetId: 0, contrastLogits: contrast, parameters: unfiltered },
      false,
    );
    const shifted = klDivergence.evaluate(
      {
        logits: logits.map((value) => value + 7),
        targetId: 0,
        contrastLogits: contrast.map((value) => value - 3),
        parameters: unfiltered,
      },
      false,
    );
    expect(base.value).toBeGreaterThan(0);
    expect(shifted.value).toBeCloseTo(base.value, 12);
  });

  it("entropy of uniform logits is log(vocabulary size), with a zero gradient", () => {
    for (const vocabularySize of [1, 2, 7, 50, 32000]) {
      for (const level of [0, 3.5, -1000]) {
        const logits = new Float64Array(vocabularySize).fill(level);
        const output = entropy.evaluate({ logits, targetId: 0, parameters: none }, true);
        // Relative 1e-12: 32000 terms at level −1000 round to ~1e-13 relative.
        expect(Math.abs(output.value - Math.log(vocabularySize))).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.log(vocabularySize)),
        );
        // Zero up to the rounding of log p + H (an O(1e-13) cancellation at level −1000).
        expect(Math.max(...output.gradLogits!.map(Math.abs))).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it("entropy ignores tokens masked with −Infinity", () => {
    const logits = Float64Array.from([0, 0, Number.NEGATIVE_INFINITY, 0]);
    const output = entropy.evaluate({ logits, targetId: 0, parameters: none }, true);
    expect(output.value).toBeCloseTo(Math.log(3), 15);
    expect(Array.from(output.gradLogits!).every(Number.isFinite)).toBe(true);
  });

  it("pcxmi == in_context_pvi / ln 2, values and gradients", () => {
    for (const { logits, contrast, targetId, contrastTargetId } of cases) {
      for (const contrastTarget of [undefined, contrastTargetId]) {
        const input = {
          logits,
          targetId,
          contrastLogits: contrast,
          contrastTargetId: contrastTarget,
          parameters: none,
        };
        const bits = pcxmi.evaluate(input, true);
        const nats = inContextPvi.evaluate(input, true);
        expect(bits.value).toBe(nats.value / Math.LN2);
        for (let i = 0; i < logits.length; i++) {
          expect(bits.gradLogits![i]).toBeCloseTo(nats.gradLogits![i]! / Math.LN2, 15);
          expect(bits.gradContrastLogits![i]).toBeCloseTo(nats.gradContrastLogits![i]! / Math.LN2, 15);
        }
      }
    }
  });

  it("in_context_pvi is log p(contrast) − log p(original), by independent arithmetic", () => {
    const logits = Float64Array.from([1, 2, 3]);
    const contrast = Float64Array.from([3, 2, 1]);
    const logSoftmax = (values: number[], index: number) =>
      values[index]! - Math.log(values.reduce((sum, value) => sum + Math.exp(value), 0));
    const expected = logSoftmax([3, 2, 1], 0) - logSoftmax([1, 2, 3], 0);
    expect(
      inContextPvi.evaluate({ logits, targetId: 0, contrastLogits: contrast, parameters: none }, false).value,
    ).toBeCloseTo(expected, 14);
    // Both vectors share one normaliser, so the value is the logit gap 3 − 1 = 2 nats.
    expect(expected).toBeCloseTo(2, 14);
  });
});
