import { TokenscopeError } from "../errors/index.ts";

/** How PECoRe selects tokens from their scores. */
export interface TokenSelection {
  /** Keep scores with |score| ≥ mean + stdThreshold · std (sample standard deviation); Inseq's default 1. */
  stdThreshold?: number | undefined;
  /** Then keep at most this many, largest |score| first. */
  topk?: number | undefined;
}

/** A selection: indices ranked by |score| (largest first), and the threshold used. */
export interface SelectedTokens {
  indices: number[];
  /** The |score| bound applied (0 without a std threshold). */
  threshold: number;
}

/**
 * The threshold of Inseq's `get_scores_threshold`: mean + weight · std with the sample (n − 1)
 * standard deviation, as torch's `std()`; just the mean for weight 0 or a single score; 0 without a
 * weight or without scores.
 */
export function scoresThreshold(scores: readonly number[], stdWeight: number | undefined): number {
  if (stdWeight === undefined || scores.length === 0) return 0;
  const mean = scores.reduce((sum, score) => sum + score, 0) / scores.length;
  if (stdWeight === 0 || scores.length === 1) return mean;
  const variance = scores.reduce((sum, score) => sum + (score - mean) ** 2, 0) / (scores.length - 1);
  return mean + stdWeight * Math.sqrt(variance);
}

/**
 * Inseq's `filter_rank_tokens`: rank by |score| (largest first, ties by position), keep those with
 * |score| ≥ the threshold, then the top k. Non-finite scores are never selected.
 */
export function selectTokens(scores: readonly number[], selection: TokenSelection): SelectedTokens {
  const { stdThreshold, topk } = selection;
  if (stdThreshold !== undefined && !Number.isFinite(stdThreshold)) {
    throw new TokenscopeError("INVALID_INPUT", `The std threshold ${stdThreshold} is not a finite number.`, {
      hint: "Give a number of standard deviations, e.g. 1 (Inseq's default) or 0 (the mean).",
    });
  }
  if (topk !== undefined && !(Number.isInteger(topk) && topk >= 1)) {
    throw new TokenscopeError("INVALID_INPUT", `The top-k ${topk} is not a positive integer.`, {
      hint: "Give how many tokens to keep at most, e.g. 3.",
    });
  }
  const finite = scores.filter(Number.isFinite);
  const threshold = scoresThreshold(finite, stdThreshold);
  const ranked = scores
    .map((score, index) => ({ score, index }))
    .filter(({ score }) => Number.isFinite(score) && Math.abs(score) >= threshold)
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.index - b.index)
    .map(({ index }) => index);
  return { indices: topk === undefined ? ranked : ranked.slice(0, topk), threshold };
}
