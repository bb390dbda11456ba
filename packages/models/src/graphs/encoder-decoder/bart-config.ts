import { TokenscopeError } from "@tokenscope/core";

/** The Hugging Face families built by `buildBartGraph`. */
export type BartArchitecture = "bart" | "mbart" | "marian";

/** Feed-forward nonlinearity, under Hugging Face's `activation_function` names. */
export type BartActivation = "gelu" | "relu" | "swish" | "gelu_new";

/**
 * Hyper-parameters of a Hugging Face BART-family encoder-decoder (`modeling_bart`,
 * `modeling_mbart`, `modeling_marian`): one shared vocabulary, learned or sinusoidal positions,
 * post-norm (BART, Marian) or pre-norm (mBART) layers, an output head over the vocabulary.
 */
export interface BartConfig {
  architecture: BartArchitecture;
  vocabSize: number;
  /** `d_model`. */
  hiddenSize: number;
  encoderLayers: number;
  decoderLayers: number;
  /** Heads of every attention (the builder needs encoder and decoder heads equal). */
  numHeads: number;
  /** `hiddenSize / numHeads`. */
  headDim: number;
  /** `encoder_ffn_dim`. */
  encoderFfn: number;
  /** `decoder_ffn_dim`. */
  decoderFfn: number;
  activation: BartActivation;
  /** LayerNorm epsilon; Hugging Face uses `nn.LayerNorm`'s default, 1e-5. */
  layerNormEps: number;
  /** Multiply token embeddings by sqrt(hiddenSize) before positions are added (`scale_embedding`). */
  scaleEmbedding: boolean;
  /**
   * `"learned"` (BART, mBART): rows of `embed_positions`, position p reading row p + 2 (Hugging
   * Face's offset). `"sinusoidal"` (Marian): [sin | cos] of p / 10000^(2k/d), position p itself.
   */
  positions: "learned" | "sinusoidal";
  /** Rows of a learned position table less the offset; the longest sequence either stack takes. */
  maxPositionEmbeddings: number;
  /** `"post"`: x = LN(x + f(x)) (BART, Marian). `"pre"`: x = x + f(LN x), plus final stack norms (mBART). */
  normPosition: "post" | "pre";
  /** A LayerNorm after embeddings + positions (`layernorm_embedding`: BART, mBART). */
  layernormEmbedding: boolean;
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  /** Token forced first after the start token (mBART-50 language codes, BART's `<s>`). */
  forcedBosTokenId?: number;
  /** Add `final_logits_bias` [1, vocab] to the logits (every `*ForConditionalGeneration` has it). */
  finalLogitsBias: boolean;
  /** The output head is the shared embedding (`tie_word_embeddings`). */
  tieWordEmbeddings: boolean;
}

/** Per family: what `modeling_*` hard-codes and what the config classes default to. */
const familyDefaults: Record<
  BartArchitecture,
  Pick<BartConfig, "positions" | "normPosition" | "layernormEmbedding"> & {
    padTokenId: number;
    eosTokenId: number;
    decoderStartTokenId: number;
  }
> = {
  bart: {
    positions: "learned",
    normPosition: "post",
    layernormEmbedding: true,
    padTokenId: 1,
    eosTokenId: 2,
    decoderStartTokenId: 2,
  },
  mbart: {
    positions: "learned",
    normPosition: "pre",
    layernormEmbedding: true,
    padTokenId: 1,
    eosTokenId: 2,
    // MBartConfig sets none: generation starts from the language code; eos is the usual shift.
    decoderStartTokenId: 2,
  },
  marian: {
    positions: "sinusoidal",
    normPosition: "post",
    layernormEmbedding: false,
    padTokenId: 58100,
    eosTokenId: 0,
    decoderStartTokenId: 58100,
  },
};

const activations: Record<string, BartActivation> = {
  gelu: "gelu",
  relu: "relu",
  swish: "swish",
  // transformers' ACT2FN maps both names to the same SiLU.
  silu: "swish",
  gelu_new: "gelu_new",
};

function loadFailed(message: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", message, {
    hint: "Pass the model's config.json as Hugging Face wrote it.",
    details,
  });
}

type Json = Record<string, unknown>;

function positiveInteger(json: Json, key: string): number {
  const value = json[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw loadFailed(`config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}.`, {
      key,
      value,
    });
  }
  return value;
}

function tokenId(json: Json, key: string, fallback: number | undefined): number | undefined {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw loadFailed(`config.json: ${key} must be a token id, got ${JSON.stringify(value)}.`, { key, value });
  }
  return value;
}

function flag(json: Json, key: string, fallback: boolean): boolean {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw loadFailed(`config.json: ${key} must be true or false, got ${JSON.stringify(value)}.`, {
      key,
      value,
    });
  }
  return value;
}

function architectureOf(json: Json): BartArchitecture {
  const modelType = json["model_type"];
  if (modelType === "bart" || modelType === "mbart" || modelType === "marian") return modelType;
  throw new TokenscopeError(
    "UNSUPPORTED_ARCHITECTURE",
    `config.json: model_type ${JSON.stringify(modelType)} is not a BART-family model; supported: bart, mbart, marian.`,
    { hint: "Load T5 and CTranslate2 models with their own builders.", details: { modelType } },
  );
}

function activationOf(json: Json): BartActivation {
  const name = json["activation_function"] ?? "gelu";
  const found = typeof name === "string" ? activations[name] : undefined;
  if (found === undefined) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: activation_function ${JSON.stringify(name)} is not supported; supported: ${Object.keys(activations).join(", ")}.`,
      { details: { activation: name } },
    );
  }
  return found;
}

/** Encoder and decoder must agree where the graph uses one value for both. */
function sameHeads(json: Json): number {
  const encoderHeads = positiveInteger(json, "encoder_attention_heads");
  const decoderHeads = positiveInteger(json, "decoder_attention_heads");
  if (encoderHeads !== decoderHeads) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: encoder_attention_heads (${encoderHeads}) and decoder_attention_heads (${decoderHeads}) differ; the BART graph takes one head count.`,
      { details: { encoderHeads, decoderHeads } },
    );
  }
  return encoderHeads;
}

/**
 * A {@link BartConfig} from a Hugging Face `config.json` object of model_type `bart`, `mbart` or
 * `marian`. Dimensions are required; token ids and flags fall back to the config classes'
 * defaults. Norm placement, positions and `layernorm_embedding` follow the model type, as the
 * modeling code does (legacy keys such as `normalize_before` are ignored there, and here).
 * @throws TokenscopeError INVALID_INPUT when `json` is not an object; MODEL_LOAD_FAILED for a
 * missing or malformed value; UNSUPPORTED_ARCHITECTURE for another model type, activation, unequal
 * head counts or a separate Marian decoder vocabulary.
 */
export function bartConfigFromHf(json: unknown): BartConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TokenscopeError("INVALID_INPUT", "bartConfigFromHf takes the parsed config.json object.", {
      hint: "Pass JSON.parse(configText).",
      details: { type: Array.isArray(json) ? "array" : typeof json },
    });
  }
  const config = json as Json;
  const architecture = architectureOf(config);
  const family = familyDefaults[architecture];
  const vocabSize = positiveInteger(config, "vocab_size");
  const decoderVocab = config["decoder_vocab_size"];
  if (decoderVocab !== undefined && decoderVocab !== null && decoderVocab !== vocabSize) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: decoder_vocab_size (${JSON.stringify(decoderVocab)}) differs from vocab_size (${vocabSize}); separate Marian vocabularies are not supported.`,
      { details: { vocabSize, decoderVocab } },
    );
  }
  const hiddenSize = positiveInteger(config, "d_model");
  const numHeads = sameHeads(config);
  if (hiddenSize % numHeads !== 0) {
    throw loadFailed(
      `config.json: d_model (${hiddenSize}) is not a multiple of the head count (${numHeads}).`,
      {
        hiddenSize,
        numHeads,
      },
    );
  }
  const forcedBos = tokenId(config, "forced_bos_token_id", undefined);
  return {
    architecture,
    vocabSize,
    hiddenSize,
    encoderLayers: positiveInteger(config, "encoder_layers"),
    decoderLayers: positiveInteger(config, "decoder_layers"),
    numHeads,
    headDim: hiddenSize / numHeads,
    encoderFfn: positiveInteger(config, "encoder_ffn_dim"),
    decoderFfn: positiveInteger(config, "decoder_ffn_dim"),
    activation: activationOf(config),
    layerNormEps: 1e-5,
    scaleEmbedding: flag(config, "scale_embedding", false),
    positions: family.positions,
    maxPositionEmbeddings: positiveInteger(config, "max_position_embeddings"),
    normPosition: family.normPosition,
    layernormEmbedding: family.layernormEmbedding,
    decoderStartTokenId: tokenId(config, "decoder_start_token_id", family.decoderStartTokenId)!,
    eosTokenId: tokenId(config, "eos_token_id", family.eosTokenId)!,
    padTokenId: tokenId(config, "pad_token_id", family.padTokenId)!,
    ...(forcedBos === undefined ? {} : { forcedBosTokenId: forcedBos }),
    finalLogitsBias: true,
    tieWordEmbeddings: flag(config, "tie_word_embeddings", true),
  };
}
