/**
 * Where the importance a metric is computed from comes from: the result's attributions, or the random
 * baseline (ReAGent's `softmax(torch.rand(...))`, drawn afresh for every sample).
 */
export type ImportanceSource = "attribution" | "random";

/**
 * One perturbed input of an attributed step, as a metric asks for it. The evaluator builds it, sends it
 * through the model in batches with every other probe, and hands back a {@link ProbeReading}.
 *
 * - `full`: the step's input embeddings, unchanged (ReAGent's `prob_original`).
 * - `zero`: every unit's input embedding zeroed (ReAGent's all-masked input, `SufficiencyEvaluator`
 *   with `rationale_ratio=0`).
 * - `soft`: each embedding element kept with probability w (`keep: "importance"`, soft sufficiency) or
 *   1 − w (`keep: "complement"`, soft comprehensiveness), zeroed otherwise; w is the unit's normalised
 *   importance (ReAGent's `BaseMaskingEvaluator.mask_zero_embedding`).
 * - `erase`: hard erasure with the evaluation's baseline (a token id, or the zero embedding). `keep:
 *   "rest"` erases the `count` most important units (comprehensiveness, deletion), `keep: "top"` erases
 *   all but them (sufficiency, insertion). `erase rest 0` is the unchanged input in the erasure's own
 *   representation (ids for a token baseline).
 */
export type Probe =
  | { kind: "full" }
  | { kind: "zero" }
  | { kind: "soft"; keep: "importance" | "complement" }
  | { kind: "erase"; keep: "top" | "rest"; count: number };

/** What the evaluator reads off the next-token distribution of a probe. */
export interface ProbeReading {
  /** p(target | probe input). */
  target: number;
  /**
   * ReAGent's distance between the probe's distribution and the full input's: Σ_v (√p_v − √q_v)² / √2
   * (see {@link reagentDistance}); NaN where the step has no `full` probe.
   */
  distance: number;
}

/** Reads a probe of the current step, importance source and sample. */
export type ReadProbe = (probe: Probe) => ProbeReading;

/** What a metric knows of the step it is evaluated on. */
export interface MetricContext {
  /** Number of units (input positions carrying importance) of the step. */
  units: number;
  /** The k fractions of the selection, in (0, 1] (metrics without k ignore them). */
  k: readonly number[];
  /** Points of the deletion / insertion curves: every unit count 0..n, or ⌊k·n⌋ for each k. */
  curve: "units" | "k";
}

/**
 * A faithfulness metric: which probes it needs on one step for one importance vector (and one mask
 * sample), and how its values follow from their readings. Metrics are plain objects listed in
 * `metrics/index.ts`; the evaluator dedupes probes across metrics (soft-NS and soft sufficiency share
 * their masked inputs) and batches them through the model.
 */
export interface MetricDefinition {
  /** Id used in `EvaluateOptions.metrics` and as the report key (`comp` reports `comp@<k>`). */
  id: string;
  /** One line for listings. */
  summary: string;
  /** The exact definition and where it comes from. */
  description: string;
  /** True when the value depends on Bernoulli mask draws (so `samples` and `<key>_se` apply). */
  stochastic: boolean;
  /** True when it uses the k fractions (`comp@0.1`). */
  usesK: boolean;
  /** True when the sequence table carries ReAGent's `log_ratio_<key>` for it. */
  logRatio: boolean;
  /** Report keys the metric fills, in order. */
  keys(context: MetricContext): string[];
  /** The probes it reads. */
  probes(context: MetricContext): Probe[];
  /** Its values, key → value (null where undefined, e.g. a zero denominator). */
  values(context: MetricContext, read: ReadProbe): Record<string, number | null>;
}
