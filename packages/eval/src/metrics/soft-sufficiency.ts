import type { MetricDefinition } from "./types.ts";

/**
 * Soft sufficiency (`soft_suff`), as ReAGent's `SoftSufficiencyEvaluator` (`soft_sufficiency.py`):
 * every element of the step's input embeddings is kept with probability equal to its unit's normalised
 * importance w and zeroed otherwise (one Bernoulli draw per element), and
 * soft_suff = 1 − d(p_masked, p_full), with d ReAGent's Σ(√p − √q)²/√2 over the full next-token
 * distribution. Higher is better; can be below 0 (d reaches √2).
 */
export const softSufficiency: MetricDefinition = {
  id: "soft_suff",
  summary: "Soft sufficiency: 1 − ReAGent's distance when embedding elements are kept with probability w.",
  description:
    "ReAGent's SoftSufficiencyEvaluator: keep each input-embedding element with probability equal to its token's normalised importance (zero it otherwise); value 1 − Σ(√p_masked − √p_full)²/√2 over the full next-token distribution.",
  stochastic: true,
  usesK: false,
  logRatio: true,
  keys: () => ["soft_suff"],
  probes: () => [{ kind: "soft", keep: "importance" }],
  values: (_context, read) => ({ soft_suff: 1 - read({ kind: "soft", keep: "importance" }).distance }),
};
