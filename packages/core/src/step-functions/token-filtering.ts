import { logSumExp } from "./math.ts";

/** Top-k / top-p filtering settings, with Inseq's parameter names and meanings. */
export interface TokenFilter {
  /** Keep the k most probable tokens; 0 turns top-k off. */
  topK: number;
  /** Keep the smallest most-probable set whose cumulative probability reaches topP; 1 turns top-p off. */
  topP: number;
  /** Top-p keeps at least this many tokens, and top-k at least this many (Inseq's max(top_k, min_tokens_to_keep)). */
  minTokensToKeep: number;
}

/**
 * Token indices from most to least probable. Sorting by logit equals sorting
 * by probability, and keeps the order among tokens whose probability
 * underflows to 0. Ties go to the lower index, so the order is deterministic.
 */
export function tokensByProbability(logits: ArrayLike<number>): Int32Array {
  const order = new Int32Array(logits.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => logits[b]! - logits[a]! || a - b);
}

/**
 * Size of the top-p set of softmax(logits): the smallest set of most probable
 * tokens whose cumulative probability reaches `topP`, never fewer than
 * `minTokensToKeep`. Follows Inseq (and transformers' TopPLogitsWarper): walk
 * up from the least probable token and drop it while the mass dropped so far,
 * itself included, is ≤ 1 − topP. With topP = 1 only tokens whose probability
 * is exactly 0 are dropped.
 */
export function topPSetSize(
  logits: ArrayLike<number>,
  topP: number,
  minTokensToKeep = 1,
  order: Int32Array = tokensByProbability(logits),
): number {
  const logNormalizer = logSumExp(logits);
  const droppable = 1 - topP;
  let droppedMass = 0;
  let kept = order.length;
  for (let rank = order.length - 1; rank >= 0; rank--) {
    droppedMass += Math.exp(logits[order[rank]!]! - logNormalizer);
    if (droppedMass > droppable) break;
    kept--;
  }
  return Math.min(order.length, Math.max(kept, minTokensToKeep));
}

/**
 * The token indices kept by top-p then top-k filtering of softmax(logits), most
 * probable first, or `undefined` when the filter keeps everything (both off).
 * The two sets are nested prefixes of one order, so "top-p then top-k" is
 * their intersection. A top_k above the vocabulary keeps every token.
 */
export function keptTokenIndices(logits: ArrayLike<number>, filter: TokenFilter): Int32Array | undefined {
  const topPOn = filter.topP < 1;
  const topKOn = filter.topK > 0;
  if (!topPOn && !topKOn) return undefined;
  const order = tokensByProbability(logits);
  let size = order.length;
  if (topPOn) size = topPSetSize(logits, filter.topP, filter.minTokensToKeep, order);
  if (topKOn) size = Math.min(size, Math.max(filter.topK, filter.minTokensToKeep));
  return order.slice(0, size);
}
