import { curveCounts } from "./erasure-counts.ts";
import type { MetricDefinition } from "./types.ts";

/**
 * AOPC of the insertion curve (`aopc_insertion`): starting from the input with every unit erased, units
 * are inserted back in order of importance (most important first); the curve is p(y | only the j most
 * important units kept) at each point j, and
 * aopc_insertion = (1/|J|) Σ_{j∈J} [p(y | only the top j units) − p(y | every unit erased)], J as for
 * `aopc_deletion`. Erased units take the evaluation's baseline. Higher is better (the mean rise over the
 * all-erased input, so both AOPCs read the same way).
 */
export const aopcInsertion: MetricDefinition = {
  id: "aopc_insertion",
  summary: "Area over the perturbation curve of insertion: mean rise in p(y) as top units are put back.",
  description:
    "Keep only the j most important units for every point j of the curve (0..n, or ⌊k·n⌋ per k) and average p(y | top j kept) − p(y | all erased).",
  stochastic: false,
  usesK: false,
  logRatio: false,
  keys: () => ["aopc_insertion"],
  probes: (context) => [
    { kind: "erase", keep: "top", count: 0 },
    ...curveCounts(context).map((count) => ({ kind: "erase" as const, keep: "top" as const, count })),
  ],
  values(context, read) {
    const empty = read({ kind: "erase", keep: "top", count: 0 }).target;
    const counts = curveCounts(context);
    let sum = 0;
    for (const count of counts) sum += read({ kind: "erase", keep: "top", count }).target - empty;
    return { aopc_insertion: counts.length === 0 ? null : sum / counts.length };
  },
};
