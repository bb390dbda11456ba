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
 * with `absolute`. Coalitions are built when asked for: d of them, not d².
 */
export function ablationPlan(featureCount: number, options: AblationOptions = {}): CoalitionPlan {
  const scratch = new Uint8Array(featureCount);
  const score = options.absolute
    ? (value: number, full: number) => Math.abs(full - value)
    : (value: number, full: number) => full - value;
  return {
    count: featureCount,
    coalition(k) {
      scratch.fill(1);
      scratch[k] = 0;
      return scratch;
    },
    scores: async (values, full) => Array.from(values, (value) => score(value, full)),
  };
}
