import type { YieldPoint } from "@tokenscope/core";
import { coalitionRow, createCoalitionMatrix } from "../shared/coalition-matrix.ts";
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
 * The samples are one 0/1 matrix (one byte per feature and sample); `point`
 * lets the event loop in while they are drawn and while the surrogate is fitted.
 */
export async function limePlan(
  featureCount: number,
  settings: LimeSettings,
  random: RandomStream,
  point?: YieldPoint,
): Promise<CoalitionPlan> {
  if (featureCount === 0) return { count: 0, coalition: () => [], scores: async () => [] };
  const samples = Math.max(1, settings.samples);
  // Row 0 is the original (all present); rows 1.. are the perturbed coalitions.
  const design = createCoalitionMatrix(samples, featureCount);
  coalitionRow(design, 0).fill(1);
  for (let k = 1; k < samples; k++) {
    if (point?.due()) await point.pause();
    const row = coalitionRow(design, k);
    for (let j = 0; j < featureCount; j++) row[j] = random.float() < settings.maskProbability ? 0 : 1;
  }
  const width = settings.kernelWidth ?? 0.25 * Math.sqrt(featureCount);
  const weights = Float64Array.from({ length: samples }, (_, k) =>
    limeKernel(cosineDistanceToOriginal(coalitionRow(design, k)), width),
  );
  // The fit of the last scores() call, which extras() reports on instead of fitting again.
  let last: { targets: Float64Array; coefficients: number[]; intercept: number } | undefined;
  return {
    count: samples - 1,
    coalition: (k) => coalitionRow(design, k + 1),
    async scores(values, full, yieldPoint) {
      const targets = new Float64Array(samples);
      targets[0] = full;
      targets.set(values, 1);
      last = { targets, ...(await weightedRidge(design, targets, weights, settings.alpha, yieldPoint)) };
      return last.coefficients;
    },
    extras() {
      const { targets, coefficients, intercept } = last!;
      // Weighted R² of the surrogate, as LIME's `score`: how well the linear model explains f locally.
      let weightSum = 0;
      let mean = 0;
      for (let k = 0; k < samples; k++) {
        weightSum += weights[k]!;
        mean += weights[k]! * targets[k]!;
      }
      mean /= weightSum;
      let residual = 0;
      let total = 0;
      for (let k = 0; k < samples; k++) {
        let prediction = intercept;
        for (let j = 0; j < featureCount; j++)
          prediction += coefficients[j]! * design.data[k * featureCount + j]!;
        residual += weights[k]! * (targets[k]! - prediction) ** 2;
        total += weights[k]! * (targets[k]! - mean) ** 2;
      }
      return { lime_intercept: intercept, lime_score: total > 0 ? 1 - residual / total : 1 };
    },
  };
}
