/** Plausibility of attributions against human rationales, over words: F1, IOU and AUPRC. */
export { averagePrecision } from "./auprc.ts";
export { plausibilityMetrics } from "./metrics.ts";
export {
  type PlausibilityOptions,
  plausibility,
  type RandomPlausibilityOptions,
  type RationaleSpans,
  randomPlausibility,
  type WordRationaleDetails,
  wordRationale,
  wordRationaleFromScores,
} from "./plausibility.ts";
export type { PlausibilityMetric, PlausibilityScores, WordRationale } from "./types.ts";
export {
  checkRationaleSpans,
  rationaleMembership,
  type TextWord,
  textWords,
  topWords,
  type WordScoreReduction,
  wordScores,
} from "./words.ts";
