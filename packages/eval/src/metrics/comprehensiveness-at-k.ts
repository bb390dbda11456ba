import { erasureAtK } from "./erasure-counts.ts";
import type { MetricDefinition } from "./types.ts";

/**
 * Comprehensiveness at k (`comp@<k>`), ERASER's form (DeYoung et al. 2020):
 * comp@k = p(y | x) − p(y | x with the ⌊k·n⌋ most important units erased), y the step's target token.
 * Erased units are replaced by the evaluation's baseline (the model's unk token by default, a given id,
 * or the zero embedding). Higher is better. ReAGent's own hard `ComprehensivenessEvaluator` erases the
 * same units (with zero embeddings) but scores the Hellinger distance of the two distributions; the
 * issue asks for ERASER's probability difference, which is what this computes.
 */
export const comprehensivenessAtK: MetricDefinition = erasureAtK("comp", "rest", {
  summary: "Comprehensiveness at k: p(y | x) − p(y | x without its top ⌊k·n⌋ units).",
  description:
    "ERASER's comprehensiveness: the drop in the target token's probability when the ⌊k·n⌋ most important units (by normalised importance, ties to the earlier position) are replaced by the baseline.",
});
