/**
 * The word-level picture one plausibility metric scores: for every word of the source text, in text
 * order, its importance, whether the human rationale holds it and whether the predicted (top-k)
 * rationale does.
 */
export interface WordRationale {
  /** Importance of each word (its tokens' |scores| reduced with max or sum), in text order. */
  scores: number[];
  /** True where the word overlaps a human rationale span. */
  human: boolean[];
  /** True where the word is among the top-k words by importance (the predicted rationale). */
  predicted: boolean[];
}

/**
 * One plausibility metric: a plain definition listed in `plausibilityMetrics` (./index.ts). `compute`
 * returns one number in [0, 1], higher meaning closer to the human rationale.
 */
export interface PlausibilityMetric {
  /** Key of the value in {@link PlausibilityScores} and in benchmark tables. */
  id: "f1" | "iou" | "auprc";
  /** One line for listings. */
  summary: string;
  /** The definition, with its source. */
  description: string;
  /** "set": compares the predicted with the human word set; "ranking": uses the scores alone. */
  kind: "set" | "ranking";
  compute(rationale: WordRationale): number;
}

/** The plausibility of one attributed step against one human rationale. */
export interface PlausibilityScores {
  f1: number;
  iou: number;
  auprc: number;
}
