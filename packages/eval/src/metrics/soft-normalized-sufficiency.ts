import type { MetricDefinition } from "./types.ts";

/**
 * Soft normalised sufficiency (`soft_ns`), as ReAGent's `SoftNormalizedSufficiencyEvaluator`
 * (`soft_norm_sufficiency.py`): soft_ns = max(0, SS − SS₀) / (1 − SS₀), with SS the soft sufficiency of
 * the same mask draw (`soft_suff`) and SS₀ = 1 − d(p_zero, p_full) the sufficiency of the
 * all-masked input (every input embedding zeroed: ReAGent's `SufficiencyEvaluator(rationale_ratio=0)`,
 * whose rationale is empty, so its keep mask is all zeros). Clipped below at 0 as ReAGent (`max(0, …)`),
 * not above. Null when 1 − SS₀ is 0 (the all-masked input predicts exactly as the full one).
 */
export const softNormalizedSufficiency: MetricDefinition = {
  id: "soft_ns",
  summary: "Soft normalised sufficiency (ReAGent's Soft-NS): max(0, SS − SS₀) / (1 − SS₀).",
  description:
    "ReAGent's SoftNormalizedSufficiencyEvaluator: soft sufficiency SS of the mask draw, normalised by the sufficiency SS₀ = 1 − Σ(√p_zero − √p_full)²/√2 of the input with every embedding zeroed: max(0, SS − SS₀) / (1 − SS₀).",
  stochastic: true,
  usesK: false,
  logRatio: true,
  keys: () => ["soft_ns"],
  probes: () => [{ kind: "soft", keep: "importance" }, { kind: "zero" }],
  values(_context, read) {
    const sufficiency = 1 - read({ kind: "soft", keep: "importance" }).distance;
    const sufficiencyZero = 1 - read({ kind: "zero" }).distance;
    const denominator = 1 - sufficiencyZero;
    if (denominator === 0 || !Number.isFinite(denominator)) return { soft_ns: null };
    return { soft_ns: Math.max(0, sufficiency - sufficiencyZero) / denominator };
  },
};
