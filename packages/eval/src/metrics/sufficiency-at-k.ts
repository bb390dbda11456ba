import { erasureAtK } from "./erasure-counts.ts";
import type { MetricDefinition } from "./types.ts";

/**
 * Sufficiency at k (`suff@<k>`), ERASER's form (DeYoung et al. 2020):
 * suff@k = p(y | x) − p(y | only the ⌊k·n⌋ most important units kept, the others erased), y the step's
 * target token. Erased units are replaced by the evaluation's baseline. Lower is better (can be
 * negative). ReAGent's hard `SufficiencyEvaluator` keeps the same units (zeroing the others) but scores
 * 1 − Σ(√p − √q)²/√2; the issue asks for ERASER's probability difference.
 */
export const sufficiencyAtK: MetricDefinition = erasureAtK("suff", "top", {
  summary: "Sufficiency at k: p(y | x) − p(y | only the top ⌊k·n⌋ units).",
  description:
    "ERASER's sufficiency: the drop in the target token's probability when every unit but the ⌊k·n⌋ most important is replaced by the baseline.",
});
