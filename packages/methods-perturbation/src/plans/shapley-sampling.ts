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
  if (featureCount === 0) return { coalitions: [], scores: () => [] };
  const orders = Array.from({ length: samples }, () => randomPermutation(random, featureCount));
  // Coalition 0 is the empty one; then, per order, the first k features for k = 1..d−1 (k = d is the full input).
  const coalitions = [new Uint8Array(featureCount)];
  for (const order of orders) {
    const coalition = new Uint8Array(featureCount);
    for (let k = 0; k < featureCount - 1; k++) {
      coalition[order[k]!] = 1;
      coalitions.push(coalition.slice());
    }
  }
  return {
    coalitions,
    scores(values, full) {
      const sums = new Float64Array(featureCount);
      orders.forEach((order, sample) => {
        let previous = values[0]!;
        order.forEach((feature, k) => {
          const current = k === featureCount - 1 ? full : values[1 + sample * (featureCount - 1) + k]!;
          sums[feature]! += current - previous;
          previous = current;
        });
      });
      return Array.from(sums, (sum) => sum / samples);
    },
  };
}
