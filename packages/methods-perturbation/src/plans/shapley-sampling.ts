import type { CoalitionPlan } from "../shared/coalitions.ts";
import { type RandomStream, randomPermutation } from "../shared/random.ts";

/**
 * Shapley value sampling (Castro et al. 2009, Captum's ShapleyValueSampling):
 * for each of `samples` random feature orders, features are added one by one
 * to the empty coalition and each gets its marginal contribution; scores are
 * the means. Each order's contributions add up to f(all) − f(none), so the
 * efficiency property holds exactly for any number of samples.
 */
export function shapleySamplingPlan(
  featureCount: number,
  samples: number,
  random: RandomStream,
): CoalitionPlan {
  if (featureCount === 0) return { count: 0, coalition: () => [], scores: async () => [] };
  // The orders, one row of featureCount indices per sample; coalitions are built from them when
  // asked for, so a plan holds samples × d numbers, not samples × d coalitions of d bytes.
  const orders = new Uint32Array(samples * featureCount);
  for (let sample = 0; sample < samples; sample++) {
    orders.set(randomPermutation(random, featureCount), sample * featureCount);
  }
  const prefixes = featureCount - 1;
  const scratch = new Uint8Array(featureCount);
  return {
    // Coalition 0 is the empty one; then, per order, the first k features for k = 1..d−1 (k = d is the full input).
    count: 1 + samples * prefixes,
    coalition(k) {
      scratch.fill(0);
      if (k === 0) return scratch;
      const sample = Math.floor((k - 1) / prefixes);
      const present = ((k - 1) % prefixes) + 1;
      for (let i = 0; i < present; i++) scratch[orders[sample * featureCount + i]!] = 1;
      return scratch;
    },
    async scores(values, full, point) {
      const sums = new Float64Array(featureCount);
      for (let sample = 0; sample < samples; sample++) {
        if (point?.due()) await point.pause();
        let previous = values[0]!;
        for (let k = 0; k < featureCount; k++) {
          const feature = orders[sample * featureCount + k]!;
          const current = k === featureCount - 1 ? full : values[1 + sample * prefixes + k]!;
          sums[feature]! += current - previous;
          previous = current;
        }
      }
      return Array.from(sums, (sum) => sum / samples);
    },
  };
}
