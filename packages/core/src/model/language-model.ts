import type { AbortOptions, ProgressCallback } from "../progress.ts";
import type { Capability } from "./capabilities.ts";
import type { ExecutionInfo } from "./execution.ts";
import type { DenseTensor } from "./tensor.ts";
import type { Token } from "./token.ts";

/** Ids of the special tokens a tokenizer defines (absent when it has none). */
export interface SpecialTokenIds {
  bos?: number;
  eos?: number[];
  pad?: number;
  unk?: number;
}

/** Static facts about a model, shown by `models inspect` and stored with results. */
export interface ModelInfo {
  /** Reference the model was loaded from (hub id or path). */
  id: string;
  revision?: string;
  /** Architecture family ("llama", "qwen2", "gpt2", ...). */
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  /**
   * Width of the input embeddings (`embed`, `inputs.embeddings`, gradients with respect to them,
   * custom baselines) when it is not `hiddenSize`: opt-350m's token embeddings are 512 wide and
   * widened to its 1024-wide residual stream inside the model. Absent: `hiddenSize`.
   */
  embeddingSize?: number;
  /** Layers of the model; of its decoder for an encoder-decoder (see `encoderLayers`). */
  numLayers: number;
  numHeads: number;
  numKeyValueHeads?: number;
  /** Longest sequence (prompt plus generated tokens) the model accepts. */
  contextLength: number;
  encoderDecoder: boolean;
  /** Encoder-decoder models: the encoder's layers (`numLayers` counts the decoder's). */
  encoderLayers?: number;
  /**
   * Encoder-decoder models with a source vocabulary of their own: its size (source ids, from
   * `tokenize(source)`, are below it; `vocabSize` is the target's). Absent: one shared vocabulary.
   */
  sourceVocabSize?: number;
  specialTokens: SpecialTokenIds;
  /**
   * The token every target starts with when the generation settings choose none: a config's
   * `forced_bos_token_id` (BART's `<s>`, a one-to-many translation model's target language).
   */
  forcedBosTokenId?: number;
  /**
   * Target-language tokens of a multilingual model ("fr_XX", "__fr__", "fra_Latn") and their ids,
   * which `GenerationSettings.targetLanguage` chooses from.
   */
  languageCodes?: Record<string, number>;
  /** Where the model runs (runtime, device, and why a request fell back), when the loader knows. */
  execution?: ExecutionInfo;
}

/** Text turned into tokens with character offsets. */
export interface Tokenization {
  text: string;
  tokens: Token[];
}

/** Options of {@link LanguageModel.tokenize}. */
export interface TokenizeOptions {
  /** Prepend BOS (and whatever else the tokenizer adds) as the model expects for a prompt. */
  addSpecialTokens?: boolean;
  /**
   * The text continues earlier text (a forced target after its prompt): no special tokens, and no
   * SentencePiece dummy-prefix space, so " there" stays one word-initial token.
   */
  continuation?: boolean;
}

/** A chat message for {@link LanguageModel.applyChatTemplate}. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | (string & {});
  content: string;
}

/**
 * Model inputs: a batch of token-id rows, or input embeddings [batch, seq, hidden].
 * Rows of `ids` must have equal length; pad and mask for ragged batches.
 */
export type ModelInputs = (
  | { ids: number[][]; attentionMask?: number[][] }
  | { embeddings: DenseTensor; attentionMask?: number[][] }
) & {
  /**
   * Encoder-decoder models (`info.encoderDecoder`): per row, how many of its first positions are the
   * source (the encoder's input); the rest are target tokens, laid out as for a decoder-only model,
   * so position `sourceLength − 1 + t` predicts target token t (core's `stepPosition`). Decoder-only
   * models ignore it. See {@link sourceLengthsFor}.
   */
  sourceLengths?: number[];
};

/**
 * The parts of an encoder-decoder that taps read and value zeroing changes, each with its own
 * positions: `"encoder"` (source positions 0..S−1: encoder self-attention, residual stream, MLP),
 * `"decoder"` (decoder positions 0..D−1: decoder self-attention, residual stream, MLP; decoder
 * position j is row position `sourceLength − 1 + j`, j = 0 reading the decoder start token) and
 * `"cross"` (cross-attention: decoder positions as queries, source positions as keys and values).
 */
export type AttentionStack = "encoder" | "decoder" | "cross";

/** Internal tensors a forward pass can return on request. */
export interface TapRequest {
  attention?: boolean;
  values?: boolean;
  residual?: boolean;
  mlp?: boolean;
  /** Layers to tap; all when absent (of the encoder with `stack: "encoder"`). */
  layers?: number[];
  /**
   * Encoder-decoder models: which part is tapped (default `"decoder"`). Its tensors use that part's
   * own positions (see {@link AttentionStack}), rows right-padded to the batch's widest: attention
   * [batch, heads, S, S] (encoder), [batch, heads, D, D] (decoder) or [batch, heads, D, S] (cross);
   * values [batch, heads, keys, headDim]; residual and mlp of the encoder or decoder only.
   * Decoder-only models accept only an absent `stack`.
   */
  stack?: AttentionStack;
}

/** Tensors returned for a {@link TapRequest}, one entry per tapped layer. */
export interface Taps {
  /** [batch, heads, seq, seq] per layer. */
  attention?: DenseTensor[];
  /** [batch, kvHeads, seq, headDim] per layer. */
  values?: DenseTensor[];
  /** [batch, seq, hidden] per layer (output of the layer). */
  residual?: DenseTensor[];
  /** [batch, seq, intermediate] per layer. */
  mlp?: DenseTensor[];
}

/** Changes applied during a forward pass. */
export type Intervention =
  /**
   * Zero the value vectors of `positions` in `layer` (all heads when `heads` is absent), in batch row
   * `batch` (every row when absent), so one call can hold many different perturbations.
   */
  | {
      kind: "zeroValues";
      layer: number;
      heads?: number[];
      positions: number[];
      batch?: number;
      /**
       * Encoder-decoder models: whose values are zeroed (default `"decoder"`); `positions` are that
       * part's own (source positions for `"encoder"` and `"cross"`, decoder positions for
       * `"decoder"`, see {@link AttentionStack}). Decoder-only models accept only an absent `stack`.
       */
      stack?: AttentionStack;
    }
  /** Replace the input embedding at `position` of batch row `batch` with `embedding`. */
  | { kind: "replaceEmbedding"; batch: number; position: number; embedding: Float32Array }
  /**
   * Replace the residual stream after `layer` with `values` [batch, seq, hidden] (every row): the
   * layers up to `layer` are skipped and the rest of the model runs from these activations. With
   * a gradient request whose `wrt` is the same layer's residual, the gradients are taken with
   * respect to `values` (layer integrated gradients interpolates them).
   */
  | { kind: "replaceResidual"; layer: number; values: DenseTensor };

/** A forward request; `positions` limits which positions' logits are returned. */
export interface ForwardRequest extends AbortOptions {
  inputs: ModelInputs;
  /** Per batch row, the positions whose logits are wanted; every position when absent. */
  positions?: number[][];
  taps?: TapRequest;
  interventions?: Intervention[];
}

/** Logits [batch, positions, vocab] for the requested positions, and taps. */
export interface ForwardResult {
  logits: DenseTensor;
  taps?: Taps;
}

/**
 * The scalar objective of a gradient request, per batch row: a registered step
 * function evaluated on the logits at `position` for `targetId` (built into the
 * graph when the model can), or explicit seeds dObjective/dLogits for
 * user-defined step functions (the two-phase fallback).
 */
export type GradientObjective =
  | {
      kind: "stepFunction";
      stepFunction: string;
      parameters?: Record<string, unknown>;
      /** Per batch row: the position whose logits feed the step function. */
      positions: number[];
      targetIds: number[];
      /** For contrastive step functions: per batch row, contrast target ids. */
      contrastTargetIds?: number[];
    }
  | {
      kind: "logitSeeds";
      positions: number[];
      /** [batch, vocab]: derivative of the objective with respect to the logits at `positions`. */
      seeds: DenseTensor;
    };

/** Where gradients are taken. */
export type GradientTarget = { kind: "embeddings" } | { kind: "residual"; layer: number };

/** A gradient request: inputs, objective, and the tensor to differentiate with respect to. */
export interface GradientRequest extends AbortOptions {
  inputs: ModelInputs;
  objective: GradientObjective;
  wrt?: GradientTarget;
  /** Only `replaceResidual` is honoured here (capability `interventions.residual`). */
  interventions?: Intervention[];
  /**
   * Trade compute for memory (capability `gradients.recompute`): recompute each layer's activations
   * from the layer's input during the backward pass (activation checkpointing) instead of holding
   * every layer's activations from the forward pass. Same gradients, about one more forward pass;
   * models without the capability ignore it.
   */
  recompute?: boolean;
}

/** Gradients [batch, seq, hidden], the objective per row, and the logits at the objective positions. */
export interface GradientResult {
  gradients: DenseTensor;
  /** The tensor differentiated with respect to (embeddings or activations) [batch, seq, hidden]. */
  activations: DenseTensor;
  objective: Float64Array;
  logits: DenseTensor;
}

/** Options of {@link LanguageModel.generate}. */
export interface GenerationOptions extends AbortOptions {
  maxNewTokens?: number;
  /** 0 or absent: greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stopTokenIds?: number[];
  /** Force these target ids instead of choosing (forced decoding). */
  forcedIds?: number[];
  /** Generate a continuation that starts with these ids. */
  prefixIds?: number[];
  onProgress?: ProgressCallback;
}

/** Generated ids and their text. */
export interface GenerationResult {
  ids: number[];
  text: string;
}

/**
 * The interface every model kind implements (DESIGN.md, "The model interface").
 * Optional members exist exactly when the matching capability is declared.
 */
export interface LanguageModel {
  readonly info: ModelInfo;
  readonly capabilities: ReadonlySet<Capability>;
  /**
   * Why a capability is missing and what would provide it, for the error a method gets (e.g. "this
   * ONNX export fuses attention into com.microsoft.GroupQueryAttention, which has no gradient rule;
   * load the model from its safetensors instead").
   */
  readonly capabilityNotes?: Partial<Record<Capability, string>>;
  tokenize(text: string, options?: TokenizeOptions): Promise<Tokenization>;
  detokenize(ids: number[]): Promise<string>;
  /**
   * Tokens (with text and character spans into the returned text) for given ids, e.g. generated ones:
   * decoding is done as a continuation of `after` (the prompt ids), so a leading space that belongs to
   * the first generated token is kept. Re-tokenizing decoded text would not give the same ids.
   */
  decodeTokens(ids: number[], options?: { after?: number[] }): Promise<Tokenization>;
  applyChatTemplate?(messages: ChatMessage[], options?: { addGenerationPrompt?: boolean }): Promise<string>;
  /**
   * Input embeddings [batch, seq, hidden] of rows of ids; an encoder-decoder needs each row's
   * `sourceLengths` (its first positions from the encoder's table, the rest from the decoder's).
   */
  embed?(ids: number[][], options?: { sourceLengths?: number[] }): Promise<DenseTensor>;
  forward?(request: ForwardRequest): Promise<ForwardResult>;
  gradients?(request: GradientRequest): Promise<GradientResult>;
  generate?(promptIds: number[], options?: GenerationOptions): Promise<GenerationResult>;
  dispose?(): Promise<void>;
}
