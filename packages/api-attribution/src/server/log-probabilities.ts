import type { LanguageModel } from "@tokenscope/core";

/** One alternative token at a position: its id and log-probability (nats). */
export interface RankedToken {
  id: number;
  logprob: number;
}

/** The model's distribution at one position, reduced to what a response needs. */
export interface PositionScore {
  /** Log-probability of the token that actually follows (the chosen or prompt token). */
  logprob: number;
  /** The `k` most likely tokens, most likely first; ties broken by the lower id. */
  top: RankedToken[];
}

/** Most logits one forward call may return (positions × vocabulary), so long prompts are split. */
export const MAX_LOGITS_PER_FORWARD = 1 << 24;

/** log Σ exp over `row[from, from + length)`, shifted by the maximum (float64). */
export function logSumExp(row: ArrayLike<number>, from = 0, length = row.length - from): number {
  let maximum = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < length; v++) if (row[from + v]! > maximum) maximum = row[from + v]!;
  if (!Number.isFinite(maximum)) return maximum;
  let sum = 0;
  for (let v = 0; v < length; v++) sum += Math.exp(row[from + v]! - maximum);
  return maximum + Math.log(sum);
}

/**
 * The `k` largest of `row[from, from + vocab)` as (id, value − `shift`), largest first; equal
 * values keep the lower id first. One pass with a small sorted buffer (k ≤ 20 in practice).
 */
export function topK(
  row: ArrayLike<number>,
  from: number,
  vocab: number,
  k: number,
  shift: number,
): RankedToken[] {
  const ids: number[] = [];
  for (let v = 0; v < vocab && k > 0; v++) {
    const value = row[from + v]!;
    if (ids.length === k && !(value > row[from + ids[k - 1]!]!)) continue;
    // Insert after every kept id with a value ≥ this one (a lower id wins ties: it came first).
    let at = ids.length;
    while (at > 0 && row[from + ids[at - 1]!]! < value) at--;
    ids.splice(at, 0, v);
    if (ids.length > k) ids.pop();
  }
  return ids.map((id) => ({ id, logprob: row[from + id]! - shift }));
}

/**
 * Real log-probabilities from `model.forward` over `ids`: for every position p in `positions`
 * (0 ≤ p < ids.length − 1), the log-softmax of the logits at p, read at `ids[p + 1]`, and the
 * `k` most likely tokens there. Long requests are split so one call returns at most
 * `maxLogitsPerCall` logits (default {@link MAX_LOGITS_PER_FORWARD}); each call runs the whole prefix the positions need.
 */
export async function scorePositions(
  model: LanguageModel,
  ids: readonly number[],
  positions: readonly number[],
  k: number,
  signal?: AbortSignal,
  maxLogitsPerCall: number = MAX_LOGITS_PER_FORWARD,
): Promise<PositionScore[]> {
  if (positions.length === 0) return [];
  const forward = model.forward!.bind(model);
  const vocab = model.info.vocabSize;
  const perCall = Math.max(1, Math.floor(maxLogitsPerCall / vocab));
  const scores: PositionScore[] = [];
  for (let start = 0; start < positions.length; start += perCall) {
    const chunk = positions.slice(start, start + perCall);
    // Causal: the logits at p depend on ids[0..p] only, so the input ends after the last position.
    const input = ids.slice(0, chunk.at(-1)! + 1);
    const { logits } = await forward({
      inputs: { ids: [input] },
      positions: [chunk],
      ...(signal ? { signal } : {}),
    });
    const width = logits.dims.at(-1)!;
    chunk.forEach((position, index) => {
      const from = index * width;
      const normalizer = logSumExp(logits.data, from, width);
      scores.push({
        logprob: logits.data[from + ids[position + 1]!]! - normalizer,
        top: topK(logits.data, from, width, k, normalizer),
      });
    });
  }
  return scores;
}
