import { TokenscopeError } from "@tokenscope/core";

/**
 * Feed-forward block of a T5 layer, under Hugging Face's `feed_forward_proj` names: `"relu"` (T5
 * v1.0) is `wo(relu(wi x))`; `"gated-gelu"` (T5 v1.1, flan-t5) is `wo(gelu_new(wi_0 x) * wi_1 x)`;
 * `"gated-silu"` is the same with SiLU.
 */
export type T5FeedForward = "relu" | "gated-gelu" | "gated-silu";

/**
 * Hyper-parameters of a Hugging Face T5 encoder-decoder (`modeling_t5`): one shared vocabulary,
 * no absolute positions but a learned relative position bias on self-attention scores, unscaled
 * dot products, pre-norm layers with T5LayerNorm (RMS norm, no mean, no bias), no biases anywhere.
 */
export interface T5Config {
  architecture: "t5";
  vocabSize: number;
  /** `d_model`. */
  hiddenSize: number;
  numHeads: number;
  /** `d_kv`; `numHeads × headDim` (the attention's inner width) may differ from `hiddenSize`. */
  headDim: number;
  /** `d_ff`. */
  ffnSize: number;
  /** `num_layers`. */
  encoderLayers: number;
  /** `num_decoder_layers`, `num_layers` when absent. */
  decoderLayers: number;
  feedForward: T5FeedForward;
  /** `relative_attention_num_buckets` (32). */
  relativeBuckets: number;
  /** `relative_attention_max_distance` (128): distances from here on share the last bucket. */
  relativeMaxDistance: number;
  /** `layer_norm_epsilon` (1e-6). */
  layerNormEps: number;
  /**
   * The output head is `shared.weight` and the decoder output is scaled by `hiddenSize ** -0.5`
   * first (T5 v1.0); untied (v1.1, flan-t5): `lm_head.weight`, no rescale.
   */
  tieWordEmbeddings: boolean;
  /** Id the decoder starts from; T5 starts from the pad token. */
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
}

const feedForwards: readonly T5FeedForward[] = ["relu", "gated-gelu", "gated-silu"];

type Json = Record<string, unknown>;

function loadFailed(message: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", message, {
    hint: "Pass the model's config.json as Hugging Face wrote it.",
    details,
  });
}

function positiveInteger(json: Json, key: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw loadFailed(`config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}.`, {
      key,
      value,
    });
  }
  return value;
}

function positiveNumber(json: Json, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw loadFailed(`config.json: ${key} must be a positive number, got ${JSON.stringify(value)}.`, {
      key,
      value,
    });
  }
  return value;
}

function tokenId(json: Json, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw loadFailed(`config.json: ${key} must be a token id, got ${JSON.stringify(value)}.`, { key, value });
  }
  return value;
}

function flag(json: Json, key: string, fallback: boolean): boolean {
  const value = json[key] ?? fallback;
  if (typeof value !== "boolean") {
    throw loadFailed(`config.json: ${key} must be true or false, got ${JSON.stringify(value)}.`, {
      key,
      value,
    });
  }
  return value;
}

function feedForwardOf(json: Json): T5FeedForward {
  const name = json["feed_forward_proj"] ?? "relu";
  const found = feedForwards.find((known) => known === name);
  if (found === undefined) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: feed_forward_proj ${JSON.stringify(name)} is not supported; supported: ${feedForwards.join(", ")}.`,
      { details: { feedForward: name } },
    );
  }
  return found;
}

/**
 * The bucket arithmetic halves the buckets for the encoder's sign and then halves again for the
 * exact range, so both halves must be whole and the log range must be non-empty.
 */
function checkBuckets(buckets: number, maxDistance: number): void {
  if (buckets % 4 !== 0) {
    throw loadFailed(
      `config.json: relative_attention_num_buckets (${buckets}) must be a multiple of 4 for the bucket arithmetic.`,
      { buckets },
    );
  }
  if (maxDistance <= buckets / 2) {
    throw loadFailed(
      `config.json: relative_attention_max_distance (${maxDistance}) must exceed half the buckets (${buckets / 2}).`,
      { buckets, maxDistance },
    );
  }
}

/**
 * A {@link T5Config} from a Hugging Face `config.json` object of model_type `t5` (T5, T5 v1.1,
 * flan-t5). Dimensions are required; buckets, epsilon, token ids and `tie_word_embeddings` fall
 * back to `T5Config`'s defaults (32, 128, 1e-6, pad 0, eos 1, start = pad, tied).
 * @throws TokenscopeError INVALID_INPUT when `json` is not an object; MODEL_LOAD_FAILED for a
 * missing or malformed value; UNSUPPORTED_ARCHITECTURE for another model type or feed-forward.
 */
export function t5ConfigFromHf(json: unknown): T5Config {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TokenscopeError("INVALID_INPUT", "t5ConfigFromHf takes the parsed config.json object.", {
      hint: "Pass JSON.parse(configText).",
      details: { type: Array.isArray(json) ? "array" : typeof json },
    });
  }
  const config = json as Json;
  const modelType = config["model_type"];
  if (modelType !== "t5") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: model_type ${JSON.stringify(modelType)} is not T5.`,
      { hint: "Load BART-family and CTranslate2 models with their own builders.", details: { modelType } },
    );
  }
  const encoderLayers = positiveInteger(config, "num_layers");
  const relativeBuckets = positiveInteger(config, "relative_attention_num_buckets", 32);
  const relativeMaxDistance = positiveInteger(config, "relative_attention_max_distance", 128);
  checkBuckets(relativeBuckets, relativeMaxDistance);
  const padTokenId = tokenId(config, "pad_token_id", 0);
  return {
    architecture: "t5",
    vocabSize: positiveInteger(config, "vocab_size"),
    hiddenSize: positiveInteger(config, "d_model"),
    numHeads: positiveInteger(config, "num_heads"),
    headDim: positiveInteger(config, "d_kv"),
    ffnSize: positiveInteger(config, "d_ff"),
    encoderLayers,
    decoderLayers: positiveInteger(config, "num_decoder_layers", encoderLayers),
    feedForward: feedForwardOf(config),
    relativeBuckets,
    relativeMaxDistance,
    layerNormEps: positiveNumber(config, "layer_norm_epsilon", 1e-6),
    tieWordEmbeddings: flag(config, "tie_word_embeddings", true),
    decoderStartTokenId: tokenId(config, "decoder_start_token_id", padTokenId),
    eosTokenId: tokenId(config, "eos_token_id", 1),
    padTokenId,
  };
}
