import type { GenerationSettings, StepFunctionChoice } from "../attribute/types.ts";
import type { Token } from "../model/token.ts";
import type { AbortOptions, ProgressCallback } from "../progress.ts";
import type { AttributionResult } from "../result/types.ts";

/**
 * Options of `attributeContext` (PECoRe, Sarti et al. 2024, as Inseq's `attribute-context`). Names
 * and defaults follow Inseq's command.
 */
export interface AttributeContextOptions extends AbortOptions {
  /** The text whose generation is examined (decoder-only: the prompt after the context). */
  inputCurrentText: string;
  /** The context whose influence is measured (decoder-only: a prefix of the prompt). */
  inputContextText?: string;
  /** An output-side context (e.g. a reasoning chain generated before the current output). */
  outputContextText?: string;
  /** The output examined, forced; generated greedily from the full input when absent. */
  outputCurrentText?: string;
  /** How input parts form the prompt: default "{context} {current}" with a context, else "{current}". */
  inputTemplate?: string;
  /** How output parts form the continuation: default "{context} {current}" with an output context. */
  outputTemplate?: string;
  /** The contextless input, a template over {current} or a fixed text; default "{current}". */
  contextlessInputCurrentText?: string;
  /** Step function scoring context sensitivity (contrastive); default "kl_divergence". */
  contextSensitivityMetric?: string | StepFunctionChoice;
  /** CTI keeps tokens with |score| ≥ mean + this · std; default 1. */
  contextSensitivityStdThreshold?: number;
  /** CTI then keeps at most this many tokens. */
  contextSensitivityTopk?: number;
  /** Method of the CCI step; default "saliency". */
  attributionMethod?: string;
  /** Its parameters. */
  attributionParameters?: Record<string, unknown>;
  /** Attributed function of the CCI step; default "contrast_prob_diff" (contrast: the contextless input). */
  attributedFunction?: string | StepFunctionChoice;
  /** CCI keeps context tokens with |score| ≥ mean + this · std; default 1. */
  attributionStdThreshold?: number;
  /** CCI then keeps at most this many context tokens. */
  attributionTopk?: number;
  /** Generation of the output when `outputCurrentText` is absent (greedy unless told otherwise). */
  generation?: GenerationSettings;
  /** Joins the input and a given output (decoder-only); default " ", as Inseq. */
  decoderInputOutputSeparator?: string;
  onProgress?: ProgressCallback;
}

/** One context token PECoRe selected as a cue, or scored. */
export interface ContextCue {
  /** Which context it belongs to. */
  side: "input" | "output";
  /** Index among that context's tokens (`inputContextTokens` / `outputContextTokens`). */
  index: number;
  token: string;
  score: number;
}

/** The contextual cues of one context-sensitive token (CCI). */
export interface ContextCueImputation {
  /** Index of the token among the output's current tokens (`cti.tokens`). */
  index: number;
  token: string;
  /** Its context-sensitivity score. */
  ctiScore: number;
  /** With a contrastive attributed function: the token the contextless input predicts there instead. */
  contrastToken?: string;
  /** The attribution of that step (only that step is attributed). */
  result: AttributionResult;
  /** Scores of every input-context token, and of every output-context token (when there is one). */
  inputContextScores: number[];
  outputContextScores?: number[];
  /** The selected cues, largest |score| first, and the thresholds that selected them. */
  cues: ContextCue[];
  thresholds: { input: number; output?: number };
}

/** What `attributeContext` found: the output, its context-sensitivity scores, and the cues per token. */
export interface ContextAttribution {
  inputContextText: string | null;
  inputCurrentText: string;
  outputContextText: string | null;
  outputCurrentText: string;
  /** The contextual and the contextless prompt as they were fed. */
  contextualInput: string;
  contextlessInput: string;
  inputContextTokens: Token[];
  outputContextTokens: Token[];
  /** Context-sensitive token identification: one score per token of the current output. */
  cti: {
    metric: string;
    ids: number[];
    tokens: string[];
    scores: number[];
    threshold: number;
  };
  /** Indices into `cti.tokens` selected as context-sensitive, largest |score| first. */
  selected: number[];
  /** Contextual cues imputation, one entry per selected token, in `selected` order. */
  cci: ContextCueImputation[];
  /** The settings used, defaults filled in. */
  settings: {
    contextSensitivityMetric: string;
    contextSensitivityStdThreshold: number;
    contextSensitivityTopk: number | null;
    attributionMethod: string;
    attributedFunction: string;
    attributionStdThreshold: number;
    attributionTopk: number | null;
    inputTemplate: string;
    outputTemplate: string;
    contextlessInputCurrentText: string;
  };
}
