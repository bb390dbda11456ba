import type { CoalitionPlan } from "../shared/coalitions.ts";

/**
 * Ablation of one feature at a time (occlusion, Captum's feature ablation):
 * one coalition per feature with only that feature absent, and
 * score = f(original) − f(input with the feature absent).
 */
export function ablationPlan(featureCount: number): CoalitionPlan {
  const coalitions = Array.from({ length: featureCount }, (_, feature) => {
    const coalition = new Uint8Array(featureCount).fill(1);
    coalition[feature] = 0;
    return coalition;
  });
  return {
    coalitions,
    scores: (values, full) => Array.from(values, (value) => full - value),
  };
}
