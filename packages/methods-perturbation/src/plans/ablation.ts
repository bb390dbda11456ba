import type { CoalitionPlan } from "../shared/coalitions.ts";

/** Options of {@link ablationPlan}. */
export interface AblationOptions {
  /** Score |f(original) − f(ablated)| (Inseq's occlusion) instead of the signed drop (Captum). */
  absolute?: boolean;
}

/**
 * Ablation of one feature at a time (occlusion, Captum's feature ablation):
 * one coalition per feature with only that feature absent, and
 * score = f(original) − f(input with the feature absent), or its magnitude
 * with `absolute`.
 */
export function ablationPlan(featureCount: number, options: AblationOptions = {}): CoalitionPlan {
  const coalitions = Array.from({ length: featureCount }, (_, feature) => {
    const coalition = new Uint8Array(featureCount).fill(1);
    coalition[feature] = 0;
    return coalition;
  });
  const score = options.absolute
    ? (value: number, full: number) => Math.abs(full - value)
    : (value: number, full: number) => full - value;
  return {
    coalitions,
    scores: (values, full) => Array.from(values, (value) => score(value, full)),
  };
}
