import type { MetricDefinition } from "./types.ts";

/**
 * Soft comprehensiveness (`soft_comp`), as ReAGent's `SoftComprehensivenessEvaluator`
 * (`soft_comprehensiveness.py`): every element of the step's input embeddings is kept with probability
 * 1 − w (w its unit's normalised importance) and zeroed otherwise, and soft_comp = d(p_masked, p_full),
 * ReAGent's Σ(√p − √q)²/√2 over the full next-token distribution. Higher is better.
 */
export const softComprehensiveness: MetricDefinition = {
  id: "soft_comp",
  summary:
    "Soft comprehensiveness: ReAGent's distance when embedding elements are kept with probability 1 − w.",
  description:
    "ReAGent's SoftComprehensivenessEvaluator: keep each input-embedding element with probability 1 − its token's normalised importance (zero it otherwise); value Σ(√p_masked − √p_full)²/√2 over the full next-token distribution.",
  stochastic: true,
  usesK: false,
  logRatio: true,
  keys: () => ["soft_comp"],
  probes: () => [{ kind: "soft", keep: "complement" }],
  values: (_context, read) => ({ soft_comp: read({ kind: "soft", keep: "complement" }).distance }),
};
