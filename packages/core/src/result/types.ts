import type { ExecutionInfo } from "../model/execution.ts";
import type { Token } from "../model/token.ts";

/**
 * The schema version this build writes. Version 2 added `metrics` to sequences, version 3 `contrast`;
 * every version in {@link READABLE_SCHEMA_VERSIONS} is read (and upgraded on reading).
 */
export const SCHEMA_VERSION = 3;

/** The schema versions this build reads: 1 (no `metrics`), 2 (no `contrast`) and 3. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3];

/**
 * What a contrastive run compared a sequence with (`contrastTargets` / `contrastSources`): the contrast
 * continuation, its tokens, and which contrast token faced each target token.
 */
export interface SequenceContrastRecord {
  /** The contrast source, when one was given (the contrast side's prompt instead of the source). */
  sourceText?: string;
  source?: Token[];
  /** The contrast continuation (the target itself when only a contrast source was given). */
  targetText: string;
  target: Token[];
  /**
   * Per target token, the index into `target` of the contrast token it was compared with. Merging
   * target tokens into words keeps the contrast tokens and gives each unit its first token's index.
   */
  alignment: number[];
}

/** Faithfulness figures of one attributed step (`@tokenscope/eval`): metric id → value. */
export type StepMetrics = { step: number; target: string } & Record<string, number | string | null>;

/**
 * Faithfulness figures stored with a sequence (`tokenscope attribute --evaluate`): per attributed step,
 * and for the whole sequence; `rand_<id>` are the random-attribution baselines, `<id>_se` standard errors.
 */
export interface SequenceMetrics {
  steps: StepMetrics[];
  sequence: Record<string, number | null>;
  /** How they were computed (metric ids, samples, seed, ...). */
  parameters?: Record<string, unknown>;
}

/**
 * A [rows x columns] matrix of scores. `null` marks an empty cell: a target
 * token not attributed, or a target-prefix cell at or after its own step.
 */
export type AttributionMatrix = (number | null)[][];

/**
 * Per-dimension attributions before aggregation, [targets, columns, dims]
 * row-major. NaN marks an empty cell (as null does in an {@link AttributionMatrix}).
 */
export interface RawAttributions {
  dims: [number, number, number];
  data: Float32Array | Float64Array;
}

/** One aggregation applied to a sequence, recorded so results say how they were made. */
export interface AggregationRecord {
  id: string;
  parameters: Record<string, unknown>;
}

/** The attribution of one sequence (one prompt and its targets). */
export interface SequenceAttribution {
  /** The text the source token spans refer to. */
  sourceText: string;
  /** The text the target token spans refer to. */
  targetText: string;
  source: Token[];
  target: Token[];
  /** [target x source] scores. */
  sourceAttributions: AttributionMatrix;
  /** [target x target] scores (cell [t][u] is the attribution of target t to target u < t), or null. */
  targetAttributions: AttributionMatrix | null;
  /** Per-dimension attributions, kept only when asked for; aggregation can be redone from them. */
  rawSourceAttributions?: RawAttributions;
  rawTargetAttributions?: RawAttributions;
  /** Per-target step scores keyed by step function id (probability, entropy, ...). */
  stepScores: Record<string, (number | null)[]>;
  /** Method-specific extras (e.g. integrated gradients' convergence delta per step). */
  extras: Record<string, unknown>;
  /** Aggregations applied so far, in order. */
  aggregation: AggregationRecord[];
  /** Faithfulness figures computed with the attribution (schema version 2), when asked for. */
  metrics?: SequenceMetrics;
  /** What a contrastive run compared the sequence with (schema version 3). */
  contrast?: SequenceContrastRecord;
}

/** What ran to produce a result. */
export interface RunInfo {
  model: { id: string; revision?: string; architecture?: string };
  method: { id: string; parameters: Record<string, unknown> };
  attributedFunction: { id: string; parameters: Record<string, unknown> } | null;
  /** Version of tokenscope that wrote the result. */
  toolVersion: string;
  /** ISO 8601 start time. */
  startedAt: string;
  durationMs: number;
  /** Where the model ran (runtime, device, fallbacks), when its loader said. */
  execution?: ExecutionInfo;
  /** Anything else worth keeping (runtime, device, threads, ...). */
  extra?: Record<string, unknown>;
}

/** One result type for every method and model kind; versioned and serializable. */
export interface AttributionResult {
  schemaVersion: typeof SCHEMA_VERSION;
  info: RunInfo;
  sequences: SequenceAttribution[];
}
