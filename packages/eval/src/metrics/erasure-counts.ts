import type { MetricContext } from "./types.ts";

/**
 * Units erased (or kept) at fraction k of n units: ⌊k·n⌋, as ReAGent's hard evaluators
 * (`int(rationale_ratio * importance_scores.shape[1])` in `sufficiency.py` / `comprehensiveness.py`).
 * A tiny tolerance keeps ⌊0.29·100⌋ at 29 despite float rounding. Can be 0 on short inputs.
 */
export function unitsAtFraction(k: number, units: number): number {
  return Math.min(units, Math.floor(k * units + 1e-9));
}

/** Report key of a metric at fraction k: `comp@0.1`. */
export function keyAtFraction(id: string, k: number): string {
  return `${id}@${k}`;
}

/**
 * Unit counts of the deletion / insertion curve: 0, 1, …, n for `curve: "units"` (Samek et al.'s
 * AOPC over every perturbation step), or ⌊k·n⌋ for each k for `curve: "k"` (DeYoung et al.'s bins).
 */
export function curveCounts(context: MetricContext): number[] {
  if (context.curve === "units") return Array.from({ length: context.units + 1 }, (_, count) => count);
  return context.k.map((k) => unitsAtFraction(k, context.units));
}
