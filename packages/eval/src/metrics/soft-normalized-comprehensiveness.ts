import type { MetricDefinition } from "./types.ts";

/**
 * Soft normalised comprehensiveness (`soft_nc`), as ReAGent's `SoftNormalizedComprehensivenessEvaluator`
 * (`soft_norm_comprehensiveness.py`): soft_nc = SC / (1 − SS₀), with SC the soft comprehensiveness of the
 * mask draw (`soft_comp`) and SS₀ = 1 − d(p_zero, p_full) the sufficiency of the input with every
 * embedding zeroed. Not clipped (ReAGent clips neither end). Null when 1 − SS₀ is 0.
 */
export const softNormalizedComprehensiveness: MetricDefinition = {
  id: "soft_nc",
  summary: "Soft normalised comprehensiveness (ReAGent's Soft-NC): SC / (1 − SS₀).",
  description:
    "ReAGent's SoftNormalizedComprehensivenessEvaluator: soft comprehensiveness SC of the mask draw divided by 1 − SS₀, where SS₀ = 1 − Σ(√p_zero − √p_full)²/√2 is the sufficiency of the input with every embedding zeroed.",
  stochastic: true,
  usesK: false,
  logRatio: true,
  keys: () => ["soft_nc"],
  probes: () => [{ kind: "soft", keep: "complement" }, { kind: "zero" }],
  values(_context, read) {
    const comprehensiveness = read({ kind: "soft", keep: "complement" }).distance;
    const sufficiencyZero = 1 - read({ kind: "zero" }).distance;
    const denominator = 1 - sufficiencyZero;
    if (denominator === 0 || !Number.isFinite(denominator)) return { soft_nc: null };
    return { soft_nc: comprehensiveness / denominator };
  },
};
