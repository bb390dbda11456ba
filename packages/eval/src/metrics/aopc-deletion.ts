import { curveCounts } from "./erasure-counts.ts";
import type { MetricDefinition } from "./types.ts";

/**
 * AOPC of the deletion curve (`aopc_deletion`): units are erased in order of importance (most important
 * first) and the curve is p(y | x with the j most important units erased) at each point j;
 * aopc_deletion = (1/|J|) Σ_{j∈J} [p(y | x) − p(y | x without its top j units)], J = {0, 1, …, n}
 * (`curve: "units"`, Samek et al. 2017's 1/(L+1) Σ_{k=0}^{L}) or {⌊k·n⌋ : k} (`curve: "k"`, the mean of
 * comp@k over the bins as DeYoung et al. 2020). Erased units take the evaluation's baseline. Higher is
 * better.
 */
export const aopcDeletion: MetricDefinition = {
  id: "aopc_deletion",
  summary: "Area over the perturbation curve of deletion: mean drop in p(y) as top units are erased.",
  description:
    "Erase the j most important units for every point j of the curve (0..n, or ⌊k·n⌋ per k) and average p(y | x) − p(y | erased).",
  stochastic: false,
  usesK: false,
  logRatio: false,
  keys: () => ["aopc_deletion"],
  probes: (context) => [
    { kind: "erase", keep: "rest", count: 0 },
    ...curveCounts(context).map((count) => ({ kind: "erase" as const, keep: "rest" as const, count })),
  ],
  values(context, read) {
    const full = read({ kind: "erase", keep: "rest", count: 0 }).target;
    const counts = curveCounts(context);
    let sum = 0;
    for (const count of counts) sum += full - read({ kind: "erase", keep: "rest", count }).target;
    return { aopc_deletion: counts.length === 0 ? null : sum / counts.length };
  },
};
