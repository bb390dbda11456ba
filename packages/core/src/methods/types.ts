import type { Capability } from "../model/capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { Token } from "../model/token.ts";
import type { AbortOptions, ProgressCallback } from "../progress.ts";
import type { RawAttributions } from "../result/types.ts";
import type { ParameterSchema } from "../schema/parameters.ts";

/** Families of attribution methods. */
export type MethodFamily = "gradient" | "perturbation" | "attention" | "api" | (string & {});

/** What a method can do beyond attributing generated tokens to source tokens. */
export interface MethodSupport {
  /** Also attributes to earlier target tokens (target-prefix attribution). */
  targetPrefix: boolean;
  /**
   * Attributes contrastive step functions: reads `MethodSequence.contrast` (the contrast side's own
   * input, not only its target ids) when it evaluates the attributed function.
   */
  contrastive: boolean;
  /** Attributes several sequences in one call. */
  batching: boolean;
}

/**
 * The contrast side of one sequence in a contrastive run (`contrastTargets` / `contrastSources`): at
 * target step t the contrastive step functions compare the target token, predicted from the source
 * and the target before t, with contrast token `target[alignment[t]]`, predicted from `source` and
 * the contrast tokens before it. Read it through `contrastStep`.
 */
export interface SequenceContrast {
  /** The contrast side's prompt: the contrast source's tokens, or the sequence's own source. */
  source: Token[];
  /**
   * True when `source` is the sequence's own source (no contrast source, or one with the same
   * ids): the contrast side then reads the same prompt — the same embeddings under a gradient
   * method, the same perturbations under a perturbation method.
   */
  sharesSource: boolean;
  /** The contrast target tokens; the target itself when only the source differs. */
  target: Token[];
  /** Per target step t, the index into `target` of the contrast token compared at t. */
  alignment: number[];
}

/** One sequence to attribute: its source and target tokens and the steps to attribute. */
export interface MethodSequence {
  source: Token[];
  target: Token[];
  /** Indices into `target` of the steps to attribute (all when the caller did not restrict them). */
  steps: number[];
  /** Contrast targets aligned with `target`, for contrastive step functions. */
  contrastTargetIds?: number[];
  /** The contrast side of a contrastive run (contrastTargetIds are its aligned token ids). */
  contrast?: SequenceContrast;
}

/** What a method's `run` receives. */
export interface MethodContext<P> extends AbortOptions {
  model: LanguageModel;
  parameters: P;
  sequences: MethodSequence[];
  /** Id and parameters of the attributed step function. */
  attributedFunction: { id: string; parameters: Record<string, unknown> };
  /** Whether to attribute to target-prefix tokens too. */
  attributeTarget: boolean;
  /**
   * Bytes one model call may use: methods size their batches to stay under it and, when one row
   * cannot fit, refuse before their first model call (`checkMemoryBudget`).
   */
  memoryBudgetBytes?: number;
  onProgress?: ProgressCallback;
}

/** What a method returns for one sequence. */
export interface MethodSequenceOutput {
  /** [steps, source, dims] raw attributions (dims = 1 for scalar methods). */
  source: RawAttributions;
  /** [steps, target, dims] raw attributions to target-prefix tokens, when asked. */
  target?: RawAttributions;
  /** Per-step values computed along the way (e.g. the attributed function), keyed by id. */
  stepScores?: Record<string, number[]>;
  /** Method-specific extras (e.g. integrated gradients' convergence delta). */
  extras?: Record<string, unknown>;
}

/**
 * An attribution method: a plain definition, registered explicitly with
 * `registerMethod`. A method talks to the model only through
 * {@link LanguageModel} and the capabilities it lists in `requires`.
 */
export interface AttributionMethod<P = Record<string, unknown>> {
  id: string;
  family: MethodFamily;
  /** One line: what the method computes. */
  summary: string;
  /** Full documentation: definition, parameters in prose, references. */
  description: string;
  references?: string[];
  requires: readonly Capability[];
  supports: MethodSupport;
  /**
   * Whether `attribute()` normalises this method's scores per step unless told otherwise (default
   * true). Inseq leaves coarse outputs such as occlusion's unnormalised, and so does a method with
   * `normalizeByDefault: false`.
   */
  normalizeByDefault?: boolean;
  parameters: ParameterSchema<P>;
  run(context: MethodContext<P>): Promise<MethodSequenceOutput[]>;
}
