import type { ProgressCallback } from "@tokenscope/core";
import type { ImportanceNormalization } from "../metrics/importance.ts";
import type { NoiseSource } from "../metrics/noise.ts";

/**
 * What replaces an erased unit in the hard-erasure metrics (comp@k, suff@k, AOPC): the model's unk
 * token (default), a given token id, or the zero input embedding.
 */
export type ErasureBaseline = "unk" | "zero" | { id: number };

/** Options of `evaluateResult`. Every field is optional. */
export interface EvaluateOptions {
  /**
   * Metric ids (see `metricDefinitions`): `soft_ns`, `soft_nc`, `soft_suff`, `soft_comp`, `comp`, `suff`
   * (one key per k), `comp@0.1` / `suff@0.1` (one k), `aopc_deletion`, `aopc_insertion`, `aopc` (both).
   * Default `["soft_ns", "soft_nc"]`, ReAGent's pair.
   */
  metrics?: string[];
  /**
   * Fractions of units for comp / suff (and AOPC with `curve: "k"`), each in (0, 1]. Default
   * {@link DEFAULT_K}: the ratios ReAGent's shipped evaluation results use.
   */
  k?: number[];
  /** Bernoulli mask draws per step for the soft metrics, and random-importance draws (default 1, ReAGent's single draw). */
  samples?: number;
  /** Seed of the default noise (default 42, ReAGent's `--seed` default). */
  seed?: number;
  /** Replacement of erased units in the hard metrics (default "unk"). */
  baseline?: ErasureBaseline;
  /** Rows per forward call (default 32, as the perturbation methods). */
  batchSize?: number;
  /** How attribution scores become importance weights (default "signed": a / Σ|a|, as ReAGent is fed). */
  importance?: ImportanceNormalization;
  /** Points of the deletion / insertion curves (default "units": every unit count 0..n). */
  curve?: "units" | "k";
  /**
   * What to do when a step after the first has no target-prefix attributions (`targetAttributions`
   * null): `"error"` (default; ReAGent scores prompt and prefix together) or `"keep"` (only the source
   * tokens are units; the prefix tokens are never masked or erased).
   */
  unattributedPrefix?: "error" | "keep";
  /** Skip the check that the result was made with this model (default false). */
  allowModelMismatch?: boolean;
  /** The uniforms of every mask and random-importance draw (default: `seededNoise(seed)`). */
  noise?: NoiseSource;
  signal?: AbortSignal;
  /** Progress in forward rows done (`phase: "evaluate"`). */
  onProgress?: ProgressCallback;
}

/** The ratios of ReAGent's shipped hard-metric evaluations (`evaluation_results/analogies/*_0.05 … _0.5`). */
export const DEFAULT_K: readonly number[] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5];

/** The metrics `evaluateResult` computes when none are named: ReAGent's Soft-NS and Soft-NC. */
export const DEFAULT_METRICS: readonly string[] = ["soft_ns", "soft_nc"];

/**
 * One attributed step's row of the per-token table: `step` (index of the target token), `target` (its
 * text), then per metric key `<key>` (mean over samples), `<key>_se` (its standard error, only for
 * mask-sampled metrics when samples > 1), `rand_<key>` and `rand_<key>_se` (the random baseline). Null
 * marks an undefined value (a zero denominator). Same shape as core's `StepMetrics`.
 */
export type EvaluationStep = { step: number; target: string; [key: string]: number | string | null };

/** The evaluation of one sequence: its per-token table and its per-sequence row. */
export interface SequenceEvaluation {
  steps: EvaluationStep[];
  /**
   * Per key the mean over the attributed steps (nulls left out), `<key>_se` as √(Σ se²)/T, and
   * ReAGent's sequence-level `log_ratio_<key>` = log(Σ_t value_t / Σ_t rand_t) for the soft metrics
   * (null where the ratio is not positive and finite).
   */
  sequence: Record<string, number | null>;
  /** How the figures were computed (metrics, k, samples, seed, baseline, ...). */
  parameters: Record<string, unknown>;
}

/** The JSON of `tokenscope eval`: `{ sequences: [{ steps: [...], sequence: {...} }] }`. */
export interface EvaluationReport {
  sequences: SequenceEvaluation[];
}
