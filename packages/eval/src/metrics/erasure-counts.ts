import type { MetricContext, MetricDefinition } from "./types.ts";

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

/**
 * The shared shape of comp@k and suff@k: per k, p(y | x) − p(y | x with the ⌊k·n⌋ most important
 * units erased (`keep: "rest"`) or with only them kept (`keep: "top"`)).
 */
export function erasureAtK(
  id: string,
  keep: "rest" | "top",
  text: { summary: string; description: string },
): MetricDefinition {
  return {
    id,
    ...text,
    stochastic: false,
    usesK: true,
    logRatio: false,
    keys: (context) => context.k.map((k) => keyAtFraction(id, k)),
    probes: (context) => [
      { kind: "erase", keep: "rest", count: 0 },
      ...context.k.map((k) => ({ kind: "erase" as const, keep, count: unitsAtFraction(k, context.units) })),
    ],
    values(context, read) {
      const full = read({ kind: "erase", keep: "rest", count: 0 }).target;
      const values: Record<string, number> = {};
      for (const k of context.k) {
        values[keyAtFraction(id, k)] =
          full - read({ kind: "erase", keep, count: unitsAtFraction(k, context.units) }).target;
      }
      return values;
    },
  };
}
