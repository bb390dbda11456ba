import type { AggregationStep } from "../aggregation/aggregate.ts";
import type { AbortOptions, ProgressCallback } from "../progress.ts";
import type { ContrastAlignment } from "./contrast-alignment.ts";

/** A registered step function by id, with parameters (validated with its schema, defaults applied). */
export interface StepFunctionChoice {
  id: string;
  parameters?: Record<string, unknown>;
}

/** How targets are generated when no forced `target` is given. */
export interface GenerationSettings {
  /** New tokens to generate after the prompt (and after `targetPrefix`); default {@link DEFAULT_MAX_NEW_TOKENS}. */
  maxNewTokens?: number;
  /** 0 or absent: greedy decoding. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed of sampling, for reproducible sampled targets. */
  seed?: number;
  /** Stop after any of these ids (the model's EOS when absent). */
  stopTokenIds?: number[];
  /**
   * The first generated token, forced (Hugging Face's `forced_bos_token_id`: the target-language
   * token of multilingual translation models, as Inseq's M2M100 / NLLB example passes it). It is
   * part of the target, before `targetPrefix`.
   */
  forcedBosTokenId?: number;
  /**
   * The target language of a multilingual model, by code: a token of `info.languageCodes`
   * ("fr_XX"), or its language alone ("fr") when exactly one token has it. Its token is forced
   * first, as `forcedBosTokenId` (which wins when both are given).
   */
  targetLanguage?: string;
}

/** A half-open range [start, end) of target positions to attribute. */
export interface StepRange {
  /** First target position attributed (default 0). */
  start?: number;
  /** One past the last target position attributed (default: the target's length; clamped to it). */
  end?: number;
}

/**
 * Options of `attribute()`. Every field is optional: by default the target is
 * generated greedily, attributed with `saliency` on the `probability` of each
 * generated token, reduced by L2 over the embedding dimension and normalised
 * per step (Inseq's defaults).
 */
export interface AttributeOptions extends AbortOptions {
  /** Id of a registered attribution method (default "saliency"). */
  method?: string;
  /** Method parameters, validated with the method's schema (defaults applied). */
  parameters?: Record<string, unknown>;
  /** The step function whose value is attributed (default "probability"). */
  attributedFunction?: string | StepFunctionChoice;
  /** Forced targets: one text for every prompt, or one per prompt. Excludes `targetPrefix`. */
  target?: string | string[];
  /** Generate a continuation that starts with this text: one for every prompt, or one per prompt. */
  targetPrefix?: string | string[];
  /**
   * Contrastive targets (Inseq's `contrast_targets`): a different continuation to compare the target
   * with, one text for every prompt or one per prompt; any length. Contrastive step functions
   * (contrast_prob_diff, kl_divergence, ...) then compare target token t, predicted from the prompt
   * and the target before it, with the aligned contrast token, predicted from the prompt (or the
   * contrast source) and the contrast tokens before it. Aligned right by default (Inseq's default);
   * see `contrastAlignments`.
   */
  contrastTargets?: string | string[];
  /**
   * Contrastive sources: a different prompt or context (e.g. without the context) predicting the
   * same target, or `contrastTargets` when both are given; one for every prompt or one per prompt.
   * The contrast side does not read the attributed prompt, so it is a constant of every attribution.
   */
  contrastSources?: string | string[];
  /**
   * Which contrast token faces each target token: explicit [targetIndex, contrastIndex] pairs (0-based
   * token indices of the target and the contrast target; steps no pair names are aligned right), or
   * "auto" (identical tokens matched, the rest by the similarity of the model's own token embeddings).
   * One value for every prompt, or one per prompt. Needs `contrastTargets`.
   */
  contrastAlignments?: ContrastAlignment | ContrastAlignment[];
  /** Generation settings, used when no forced `target` is given (ignored otherwise). */
  generation?: GenerationSettings;
  /** Format each prompt as a user message with the model's chat template (needs "chatTemplate"). */
  chatTemplate?: boolean;
  /**
   * Step scores to record per target token (probability, entropy, ...). Reused from the logits the
   * method computed when it reports them; otherwise computed with one batched forward per sequence.
   */
  stepScores?: (string | StepFunctionChoice)[];
  /**
   * Also attribute each target token to the target tokens before it. Default: true for decoder-only
   * models when the method supports it (as Inseq, which attributes each step over the prompt and the
   * earlier generated tokens and normalises over both), false otherwise.
   */
  attributeTarget?: boolean;
  /** Target positions to attribute; the others keep empty (null) rows. */
  steps?: StepRange;
  /**
   * Aggregation steps applied to the raw attributions. Default: ["l2"] when the method returns
   * per-dimension vectors, nothing when it returns one score per cell. A list that does not begin
   * with a dimension reducer gets "l2" first when the raw attributions have several dimensions.
   * An empty list for a method with per-dimension attributions means no aggregation at all: they
   * stay unreduced in the raw tensors (kept whatever `keepRaw` says), the score matrices stay empty
   * (null) and nothing is normalised, as there are no scores yet; reduce them later with `aggregate`.
   */
  aggregate?: AggregationStep[];
  /**
   * Per-step normalisation over source and target-prefix cells after `aggregate`. Default: the
   * method's `normalizeByDefault`, true for most (as Inseq; occlusion is not normalised, as Inseq).
   */
  normalize?: boolean;
  /** Keep the raw per-dimension tensors in the result (default false). */
  keepRaw?: boolean;
  /**
   * Bytes one model call of the method may use (at least 1 MiB): the method sizes its batches from
   * an estimate of what one row holds, and when even one row would exceed the budget the run stops
   * before any model call with `INVALID_INPUT` naming the smallest budget that works. Rows are not
   * split along the sequence. Generation and step scores are not counted.
   */
  memoryBudgetBytes?: number;
  onProgress?: ProgressCallback;
}

/** Default attribution method of `attribute()`. */
export const DEFAULT_METHOD = "saliency";

/** Default attributed function of `attribute()`. */
export const DEFAULT_ATTRIBUTED_FUNCTION = "probability";

/** New tokens generated when `generation.maxNewTokens` is absent. */
export const DEFAULT_MAX_NEW_TOKENS = 32;
