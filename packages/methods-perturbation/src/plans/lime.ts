import type { CoalitionPlan } from "../shared/coalitions.ts";
import type { RandomStream } from "../shared/random.ts";
import { weightedRidge } from "../shared/regression.ts";

/** Settings of {@link limePlan}. */
export interface LimeSettings {
  samples: number;
  maskProbability: number;
  /** Kernel width on the cosine-distance scale; null: 0.25 × sqrt(#features). */
  kernelWidth: number | null;
  alpha: number;
}

/**
 * Cosine distance between a 0/1 coalition and the all-present vector,
 * 1 − |z| / (sqrt(|z|) sqrt(d)) = 1 − sqrt(|z| / d); 1 when nothing is present.
 */
export function cosineDistanceToOriginal(coalition: ArrayLike<number>): number {
  let present = 0;
  for (let j = 0; j < coalition.length; j++) present += coalition[j]!;
  return present === 0 ? 1 : 1 - Math.sqrt(present / coalition.length);
}

/** LIME's text kernel sqrt(exp(−D² / width²)) of a cosine distance D. */
export function limeKernel(distance: number, width: number): number {
  return Math.sqrt(Math.exp(-(distance * distance) / (width * width)));
}

/**
 * LIME for one step: the original plus `samples − 1` coalitions that drop each
 * feature with probability `maskProbability`, weighted by the cosine-distance
 * kernel, and a weighted ridge surrogate whose coefficients are the scores.
 */
export function limePlan(featureCount: number, settings: LimeSettings, random: RandomStream): CoalitionPlan {
  if (featureCount === 0) return { coalitions: [], scores: () => [] };
  const coalitions = Array.from({ length: Math.max(0, settings.samples - 1) }, () => {
    const coalition = new Uint8Array(featureCount);
    for (let j = 0; j < featureCount; j++) coalition[j] = random.float() < settings.maskProbability ? 0 : 1;
    return coalition;
  });
  const width = settings.kernelWidth ?? 0.25 * Math.sqrt(featureCount);
  const design = [new Uint8Array(featureCount).fill(1), ...coalitions];
  const weights = design.map((coalition) => limeKernel(cosineDistanceToOriginal(coalition), width));
  const fit = (values: Float64Array, full: number) => {
    const targets = [full, ...values];
    return { targets, ...weightedRidge(design, targets, weights, settings.alpha) };
  };
  return {
    coalitions,
    scores: (values, full) => fit(values, full).coefficients,
    extras(values, full) {
      const { targets, coefficients, intercept } = fit(values, full);
      // Weighted R² of the surrogate, as LIME's `score`: how well the linear model explains f locally.
      let weightSum = 0;
      let mean = 0;
      targets.forEach((target, k) => {
        weightSum += weights[k]!;
        mean += weights[k]! * target;
      });
      mean /= weightSum;
      let residual = 0;
      let total = 0;
      targets.forEach((target, k) => {
        let prediction = intercept;
        for (let j = 0; j < featureCount; j++) prediction += coefficients[j]! * design[k]![j]!;
        residual += weights[k]! * (target - prediction) ** 2;
        total += weights[k]! * (target - mean) ** 2;
      });
      return { lime_intercept: intercept, lime_score: total > 0 ? 1 - residual / total : 1 };
    },
  };
}
