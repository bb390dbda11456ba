import { TokenscopeError } from "@tokenscope/core";
import type { PlausibilityMetric } from "./types.ts";

/**
 * Average precision of `scores` against binary `labels`, step-wise as scikit-learn's
 * `average_precision_score`: AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds taken from the
 * highest down, where Pₙ and Rₙ are the precision and recall of "score ≥ threshold" (R₀ = 0). Tied
 * scores enter together at one threshold (no interpolation). NaN when no label is positive
 * (scikit-learn returns 0 with a warning there; the value is undefined).
 */
export function averagePrecision(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `averagePrecision: ${scores.length} scores but ${labels.length} labels.`,
      { details: { scores: scores.length, labels: labels.length } },
    );
  }
  const bad = scores.findIndex((score) => Number.isNaN(score));
  if (bad >= 0) {
    throw new TokenscopeError("INVALID_INPUT", `averagePrecision: score ${bad} is NaN.`, {
      details: { index: bad },
    });
  }
  const positives = labels.filter(Boolean).length;
  if (positives === 0) return Number.NaN;
  const order = scores.map((_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
  let truePositives = 0;
  let taken = 0;
  let previousRecall = 0;
  let sum = 0;
  let i = 0;
  while (i < order.length) {
    const threshold = scores[order[i]!]!;
    // Everything tied at this threshold enters at once.
    while (i < order.length && scores[order[i]!] === threshold) {
      if (labels[order[i]!]) truePositives++;
      taken++;
      i++;
    }
    const recall = truePositives / positives;
    sum += (recall - previousRecall) * (truePositives / taken);
    previousRecall = recall;
  }
  return sum;
}

/**
 * Area under the precision-recall curve of the word scores against the human rationale, as average
 * precision (DeYoung et al. 2020, ERASER's AUPRC for soft scores).
 */
export const auprc: PlausibilityMetric = {
  id: "auprc",
  summary: "Average precision (AUPRC) of the word importance scores against the human rationale.",
  description:
    "Area under the precision-recall curve of the word importances against the binary human rationale, computed as step-wise average precision (scikit-learn's average_precision_score): AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds from the highest down, tied words entering together (DeYoung et al. 2020, ERASER, score soft rationales by AUPRC). Independent of k. A row of equal scores gives the fraction of words in the human rationale.",
  kind: "ranking",
  compute(rationale) {
    return averagePrecision(rationale.scores, rationale.human);
  },
};
