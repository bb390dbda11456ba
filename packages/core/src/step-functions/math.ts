import type { LogitVector } from "./types.ts";

/**
 * What a target score reads from one logit vector: the raw logit, the softmax
 * probability, or the log-softmax probability (nats) of one token.
 */
export type TargetScoreKind = "logit" | "probability" | "logprob";

/**
 * log Σ exp(values[i]) over all indices, or over `indices` when given, in
 * float64. Shifts by the maximum so logits of ±1000 neither overflow nor
 * underflow; -Infinity when every value is -Infinity.
 */
export function logSumExp(values: ArrayLike<number>, indices?: ArrayLike<number>): number {
  const count = indices ? indices.length : values.length;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < count; k++) {
    const value = values[indices ? indices[k]! : k]!;
    if (value > maximum) maximum = value;
  }
  // All -Infinity (or empty): the shift below would give NaN.
  if (maximum === Number.NEGATIVE_INFINITY) return maximum;
  if (maximum === Number.POSITIVE_INFINITY) return maximum;
  let sum = 0;
  for (let k = 0; k < count; k++) sum += Math.exp(values[indices ? indices[k]! : k]! - maximum);
  return maximum + Math.log(sum);
}

/** Softmax of `values` in float64, given their log-sum-exp. */
export function softmaxFromLogSumExp(values: ArrayLike<number>, logNormalizer: number): Float64Array {
  const probabilities = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) probabilities[i] = Math.exp(values[i]! - logNormalizer);
  return probabilities;
}

/** Softmax of `values` in float64 (numerically stable). */
export function softmax(values: ArrayLike<number>): Float64Array {
  return softmaxFromLogSumExp(values, logSumExp(values));
}

/** The value of one target score, given the log-sum-exp of `logits`. */
export function targetScore(
  kind: TargetScoreKind,
  logits: ArrayLike<number>,
  targetId: number,
  logNormalizer: number,
): number {
  const logit = logits[targetId]!;
  if (kind === "logit") return logit;
  const logprob = logit - logNormalizer;
  return kind === "logprob" ? logprob : Math.exp(logprob);
}

/**
 * Adds `weight` × ∂score/∂logits to `gradient` (float64):
 * logit: e_t; logprob: e_t − p; probability: p_t (e_t − p).
 */
export function accumulateTargetScoreGradient(
  kind: TargetScoreKind,
  logits: ArrayLike<number>,
  targetId: number,
  logNormalizer: number,
  weight: number,
  gradient: Float64Array,
): void {
  if (kind === "logit") {
    gradient[targetId]! += weight;
    return;
  }
  const scale = kind === "probability" ? weight * Math.exp(logits[targetId]! - logNormalizer) : weight;
  for (let j = 0; j < logits.length; j++) gradient[j]! -= scale * Math.exp(logits[j]! - logNormalizer);
  gradient[targetId]! += scale;
}

/**
 * A float64 gradient handed back in the array type of `like`: the buffer
 * itself for float64 (it is freshly allocated), a rounded copy for float32.
 */
export function gradientLike<L extends LogitVector>(like: L, gradient: Float64Array): L {
  if (like instanceof Float64Array) return gradient as L;
  return Float32Array.from(gradient) as L;
}
