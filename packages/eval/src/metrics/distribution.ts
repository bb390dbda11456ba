/** Softmax of one logit vector, in float64 (max-shifted). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]!);
  const probabilities = new Float64Array(logits.length);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) {
    const value = Math.exp(logits[v]! - max);
    probabilities[v] = value;
    sum += value;
  }
  for (let v = 0; v < logits.length; v++) probabilities[v]! /= sum;
  return probabilities;
}

/**
 * ReAGent's distance between two next-token distributions, as its soft and hard sufficiency /
 * soft comprehensiveness evaluators compute it (`soft_sufficiency.py`, `soft_comprehensiveness.py`,
 * `sufficiency.py`, `get_metric`): `torch.sum(torch.pow(sqrt_p - sqrt_q, 2) / torch.sqrt(2))`, i.e.
 * Σ_v (√p_v − √q_v)² / √2. This is not the textbook Hellinger distance H = ‖√p − √q‖₂ / √2 (which
 * ReAGent's code keeps commented out, and uses only in the hard `comprehensiveness.py`): it equals
 * √2·H², ranges over [0, √2], and so a sufficiency 1 − distance can be negative.
 */
export function reagentDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sum = 0;
  for (let v = 0; v < p.length; v++) {
    const difference = Math.sqrt(p[v]!) - Math.sqrt(q[v]!);
    sum += difference * difference;
  }
  return sum / Math.SQRT2;
}
