import { TokenscopeError } from "@tokenscope/core";
import { phi3FusedNames, splitPhi3FusedTensors } from "../../hf/phi3-fused.ts";
import {
  EMBED_TOKENS,
  expectedTensorDims,
  type FeedForwardNormName,
  FINAL_NORM,
  type LayerWeightName,
  LM_HEAD,
  layerBiasName,
  layerTensorName,
  type QkNormName,
} from "../../weights/names.ts";
import type { DecoderConfig, DecoderWeights, RopeStyle, WeightTensor } from "../../weights/types.ts";
import { validateDecoderConfig, validateDecoderWeights } from "../../weights/validate.ts";
import { type ConfigFieldNames, checkDecoderConfigBounds, checkWeightsFitFile } from "../config-bounds.ts";
import { QK_K } from "./k-quants.ts";
import { ggmlByteLength, ggmlReadableTypes } from "./quantization.ts";
import { type GgufFile, lazyGgufTensor, readGgufTensor } from "./read.ts";

/** What differs between the GGUF architectures tokenscope reads; the rest is llama.cpp's shared layout. */
interface GgufArchitecture {
  /** Hugging Face model_type of the config, when it is not the GGUF name (gemma3: "gemma3_text"). */
  modelType?: string;
  /**
   * How Q and K rows are stored. llama.cpp's `LlamaModel` converter permutes them into Meta's
   * layout and runs them as LLAMA_ROPE_TYPE_NORM (pairs 2i, 2i+1); `Qwen2Model` keeps Hugging
   * Face's rows and runs LLAMA_ROPE_TYPE_NEOX (pairs i, i + headDim/2). Reading each as stored
   * needs no permutation: the graph rotates in the style named here.
   */
  ropeStyle: RopeStyle;
  /** Layer weights stored with a bias (`blk.N.attn_q.bias`); any other bias is refused. */
  biases: readonly LayerWeightName[];
  /** The llama.cpp names of the per-block tensors, by Hugging Face suffix (default {@link ggufLayerNames}). */
  layerNames?: Readonly<Partial<Record<GgufLayerSuffix, string>>>;
  /**
   * What the converter added to every RMSNorm weight (Hugging Face names ending in `norm.weight`),
   * subtracted again at load so the tensors hold Hugging Face's values.
   */
  normWeightOffset?: number;
  /** Config fields beyond the shared ones, from `{architecture}.*` metadata, the shared fields and the file. */
  settings?: (read: MetadataReader, base: DecoderConfig, file: GgufFile) => Partial<DecoderConfig>;
  /**
   * Block tensors stored fused (Phi-3's `attn_qkv`, `ffn_up` holding gate and up), by llama.cpp block
   * name: the Hugging Face name each is read under, split by {@link GgufArchitecture.split}.
   */
  fused?: Readonly<Record<string, (layer: number) => string>>;
  /** Splits the fused tensors, in place, into the Llama matrices the graphs read. */
  split?: (config: DecoderConfig, tensors: Map<string, WeightTensor>, source: string) => void;
  /** Tensors outside the blocks that `settings` reads (Phi-3's LongRoPE factors): not weights. */
  settingTensors?: readonly string[];
  /** `{architecture}.rope.scaling.type` values that `settings` reads; any other is refused. */
  ropeScalingTypes?: readonly string[];
}

/** The per-block weights a GGUF architecture may hold, by Hugging Face suffix. */
export type GgufLayerSuffix = LayerWeightName | FeedForwardNormName | QkNormName;

/**
 * Gemma's RMSNorm scales by `1 + w` (Hugging Face stores `w`); llama.cpp's `GemmaModel` and
 * `Gemma2Model` converters add 1 to every `*norm.weight` so that llama.cpp's plain RMSNorm can
 * scale by the stored value. tokenscope's Gemma graphs compute `x · (1 + w)` themselves, so the 1 is
 * taken off again at load.
 */
const GEMMA_NORM_OFFSET = 1;

/** Phi-3's LongRoPE factor tensors, as llama.cpp's converter writes them for the 128k models. */
const PHI3_ROPE_FACTORS = { long: "rope_factors_long.weight", short: "rope_factors_short.weight" } as const;

/** Gemma's GGUF activation: llama.cpp runs LLM_FFN_GELU, ggml's tanh-approximated GELU (GeGLU). */
const gemmaActivation = { activation: "gelu_tanh" } as const;

/** Gemma 2's (and 3's) block norms as llama.cpp names them, by Hugging Face suffix. */
const gemma2LayerNames = {
  post_attention_layernorm: "post_attention_norm",
  pre_feedforward_layernorm: "ffn_norm",
  post_feedforward_layernorm: "post_ffw_norm",
} as const;

/**
 * The GGUF `general.architecture` values tokenscope reads, each with its Hugging Face model_type
 * (the same name) and what sets it apart. Metadata keys are prefixed by the name (`qwen2.block_count`).
 */
const ggufArchitectures: Readonly<Record<string, GgufArchitecture>> = {
  llama: { ropeStyle: "interleaved", biases: [] },
  // Qwen2's attention has q/k/v biases (no o bias), as Qwen2Attention has them.
  qwen2: { ropeStyle: "half", biases: ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"] },
  // Gemma's converter keeps Hugging Face's Q/K rows and llama.cpp runs LLM_ARCH_GEMMA with NEOX
  // rotary. Its attention scale is head_dim^-0.5 (`gemma.attention.key_length`), as GemmaAttention's.
  gemma: {
    ropeStyle: "half",
    biases: [],
    normWeightOffset: GEMMA_NORM_OFFSET,
    settings: () => gemmaActivation,
  },
  // Gemma 2 wraps attention and feed-forward in norms: llama.cpp names HF's post_attention_layernorm
  // `post_attention_norm`, pre_feedforward_layernorm `ffn_norm` (Llama's post-attention name) and
  // post_feedforward_layernorm `post_ffw_norm`.
  gemma2: {
    ropeStyle: "half",
    biases: [],
    normWeightOffset: GEMMA_NORM_OFFSET,
    layerNames: gemma2LayerNames,
    settings: gemma2Settings,
  },
  // Gemma 3's text model (convert_hf_to_gguf's Gemma3Model): Gemma 2's four norms per block plus the
  // q/k head norms (`attn_q_norm`, `attn_k_norm`), every `*norm.weight` stored as 1 + w, no soft caps.
  gemma3: {
    modelType: "gemma3_text",
    ropeStyle: "half",
    biases: [],
    normWeightOffset: GEMMA_NORM_OFFSET,
    layerNames: {
      ...gemma2LayerNames,
      "self_attn.q_norm": "attn_q_norm",
      "self_attn.k_norm": "attn_k_norm",
    },
    settings: gemma3Settings,
    ropeScalingTypes: ["linear"],
  },
  // Phi-3 (convert_hf_to_gguf's Phi3MiniModel): Hugging Face's fused qkv_proj and gate_up_proj kept
  // fused as `attn_qkv` and `ffn_up` (gate rows first: llama.cpp's SWIGLU reads the first half as the
  // gate), rows unpermuted (NEOX rotary), every layer windowed by `phi3.attention.sliding_window`
  // (0: none, as Phi-4 writes it), LongRoPE as two factor tensors.
  phi3: {
    ropeStyle: "half",
    biases: [],
    fused: { attn_qkv: phi3FusedNames.qkv, ffn_up: phi3FusedNames.gateUp },
    split: splitPhi3FusedTensors,
    settings: phi3Settings,
    settingTensors: [PHI3_ROPE_FACTORS.long, PHI3_ROPE_FACTORS.short],
    ropeScalingTypes: ["longrope", "su"],
  },
};

/**
 * Phi-3's settings from GGUF: the sliding window (`attention.sliding_window`, 0 or absent for none)
 * and, when the file holds `rope_factors_long`/`rope_factors_short`, LongRoPE with those factors,
 * `rope.scaling.original_context_length` and `rope.scaling.attn_factor` (the converter's
 * sqrt(1 + ln(s) / ln(original)) when absent, s = context_length / original, as transformers').
 */
function phi3Settings(read: MetadataReader, base: DecoderConfig, file: GgufFile): Partial<DecoderConfig> {
  const window = read.number("attention.sliding_window", 0);
  if (!Number.isSafeInteger(window) || window < 0) {
    throw read.fail(`${read.prefix}.attention.sliding_window must be a whole number, got ${window}`);
  }
  const settings: Partial<DecoderConfig> = window > 0 ? { slidingWindow: window } : {};
  const hasLong = file.tensors.has(PHI3_ROPE_FACTORS.long);
  if (!hasLong && !file.tensors.has(PHI3_ROPE_FACTORS.short)) return settings;
  const factors = (name: string): number[] => {
    if (!file.tensors.has(name)) throw read.fail(`the LongRoPE factors lack ${name}`);
    const { data } = readGgufTensor(file, name);
    const pairs = base.headDim / 2;
    if (data.length !== pairs || !data.every((factor) => Number.isFinite(factor) && factor > 0)) {
      throw read.fail(`${name} must hold ${pairs} positive finite factors (head size / 2)`);
    }
    return Array.from(data, float32Decimal);
  };
  const original = read.size("rope.scaling.original_context_length");
  if (original > base.contextLength) {
    throw read.fail(
      `${read.prefix}.rope.scaling.original_context_length ${original} exceeds ${read.prefix}.context_length ${base.contextLength}`,
    );
  }
  const ratio = base.contextLength / original;
  const derived = ratio > 1 ? Math.sqrt(1 + Math.log(ratio) / Math.log(original)) : 1;
  const attentionFactor = float32Decimal(read.number("rope.scaling.attn_factor", derived));
  if (!(attentionFactor > 0)) throw read.fail(`${read.prefix}.rope.scaling.attn_factor must be positive`);
  return {
    ...settings,
    ropeScaling: {
      type: "longrope",
      shortFactor: factors(PHI3_ROPE_FACTORS.short),
      longFactor: factors(PHI3_ROPE_FACTORS.long),
      originalMaxPositionEmbeddings: original,
      attentionFactor,
    },
  };
}

/**
 * Gemma 2's settings as llama.cpp's loader reads them: a sliding window (default 4096) on the even
 * layers, attention and final soft caps (defaults 50 and 30, as llama_hparams'), and the attention
 * scale. The converter does not store `query_pre_attn_scalar`; llama.cpp derives the scale from
 * the model size, as gemma_pytorch's configs do: the 27B (46 layers) scales by
 * (embedding_length / head_count)^-0.5 (4608 / 32 = 144, its query_pre_attn_scalar), the others by
 * key_length^-0.5 (256 for 2B and 9B). A checkpoint whose scalar follows neither rule cannot be
 * told apart in GGUF, and llama.cpp runs it with these.
 */
function gemma2Settings(read: MetadataReader, base: DecoderConfig): Partial<DecoderConfig> {
  const positive = (key: string, fallback: number): number => {
    const value = float32Decimal(read.number(key, fallback));
    if (!(value > 0)) throw read.fail(`${read.prefix}.${key} must be positive, got ${value}`);
    return value;
  };
  const gemma2LargeLayers = 46;
  return {
    ...gemmaActivation,
    slidingWindow: read.size("attention.sliding_window", 4096),
    attentionLogitSoftcap: positive("attn_logit_softcapping", 50),
    finalLogitSoftcap: positive("final_logit_softcapping", 30),
    queryPreAttentionScalar:
      base.numLayers === gemma2LargeLayers ? base.hiddenSize / base.numHeads : base.headDim,
  };
}

/**
 * Gemma 3's settings as llama.cpp's loader reads them (LLM_ARCH_GEMMA3): the window of its local
 * layers (`attention.sliding_window`, required), five local layers then a global one (llama.cpp's
 * fixed swa pattern of 6), local layers rotating with base 10000 unscaled (llama.cpp's
 * rope_freq_base_train_swa) and global ones with `rope.freq_base` and a linear `rope.scaling.factor`
 * when given (4B and up), no soft caps, and the attention scale derived from the size as for Gemma 2:
 * the 27B (62 layers) by (embedding_length / head_count)^-0.5, the others by key_length^-0.5.
 */
function gemma3Settings(read: MetadataReader, base: DecoderConfig, file: GgufFile): Partial<DecoderConfig> {
  const gemma3LargeLayers = 62;
  const scaled = file.metadata[`${read.prefix}.rope.scaling.type`] === "linear";
  const factor = scaled ? float32Decimal(read.number("rope.scaling.factor")) : 1;
  if (!(factor > 0)) throw read.fail(`${read.prefix}.rope.scaling.factor must be positive, got ${factor}`);
  return {
    ...gemmaActivation,
    slidingWindow: read.size("attention.sliding_window"),
    slidingWindowPattern: 6,
    ropeLocalTheta: 10000,
    ...(scaled && factor !== 1 ? { ropeScaling: { type: "linear" as const, factor } } : {}),
    queryPreAttentionScalar:
      base.numLayers === gemma3LargeLayers ? base.hiddenSize / base.numHeads : base.headDim,
  };
}

/** The GGUF architecture `name` names: a GGUF name (gemma3) or its Hugging Face model_type (gemma3_text). */
function ggufArchitectureNamed(name: string): GgufArchitecture | undefined {
  if (Object.hasOwn(ggufArchitectures, name)) return ggufArchitectures[name];
  return Object.values(ggufArchitectures).find((architecture) => architecture.modelType === name);
}

/** The llama.cpp per-block tensor names of an architecture (GGUF name or model_type), by Hugging Face suffix. */
export function ggufLayerNamesOf(architecture: string): Readonly<Partial<Record<GgufLayerSuffix, string>>> {
  const names = ggufArchitectureNamed(architecture)?.layerNames;
  return names ? { ...ggufLayerNames, ...names } : ggufLayerNames;
}

/** The metadata keys of the sizes under `prefix`, for messages about them. */
function metadataFieldNames(prefix: string): ConfigFieldNames {
  return {
    hiddenSize: `${prefix}.embedding_length`,
    intermediateSize: `${prefix}.feed_forward_length`,
    numLayers: `${prefix}.block_count`,
    numHeads: `${prefix}.attention.head_count`,
    numKeyValueHeads: `${prefix}.attention.head_count_kv`,
    headDim: `${prefix}.attention.key_length`,
    vocabSize: `${prefix}.vocab_size`,
  };
}

/**
 * The fewest bytes a weight takes in the types tokenscope reads (Q2_K: 84 bytes per 256 weights),
 * so that the file-size check refuses no file it can read.
 */
const MIN_BYTES_PER_WEIGHT = Math.min(...ggmlReadableTypes.map((type) => ggmlByteLength(type, QK_K) / QK_K));

/** llama.cpp's per-block tensor names, by Hugging Face suffix. */
export const ggufLayerNames: Readonly<Record<LayerWeightName, string>> = {
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
  input_layernorm: "attn_norm",
  post_attention_layernorm: "ffn_norm",
};

/**
 * The Hugging Face name of a llama.cpp tensor name, or undefined when it is not a weight of the
 * architecture: `biases` lists the layer weights whose `.bias` belongs to it (none for Llama), and
 * `layerNames` the architecture's block tensor names (see {@link ggufLayerNamesOf}).
 */
export function hfNameOfGgufTensor(
  name: string,
  biases: readonly LayerWeightName[] = [],
  layerNames: Readonly<Partial<Record<GgufLayerSuffix, string>>> = ggufLayerNames,
): string | undefined {
  if (name === "token_embd.weight") return EMBED_TOKENS;
  if (name === "output_norm.weight") return FINAL_NORM;
  if (name === "output.weight") return LM_HEAD;
  const match = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(name);
  if (!match) return undefined;
  const suffix = (Object.keys(layerNames) as GgufLayerSuffix[]).find((key) => layerNames[key] === match[2]);
  if (!suffix) return undefined;
  if (match[3] === "weight") return layerTensorName(Number(match[1]), suffix);
  return (biases as readonly string[]).includes(suffix)
    ? layerBiasName(Number(match[1]), suffix as LayerWeightName)
    : undefined;
}

/**
 * The llama.cpp name of a Hugging Face Llama-layout tensor name, weight or bias (the inverse of
 * {@link hfNameOfGgufTensor}), under the block names `layerNames` (default Llama's).
 */
export function ggufNameOfHfTensor(
  name: string,
  layerNames: Readonly<Partial<Record<GgufLayerSuffix, string>>> = ggufLayerNames,
): string | undefined {
  if (name === EMBED_TOKENS) return "token_embd.weight";
  if (name === FINAL_NORM) return "output_norm.weight";
  if (name === LM_HEAD) return "output.weight";
  const match = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  const ggufName = match ? layerNames[match[2] as GgufLayerSuffix] : undefined;
  return match && ggufName && Object.hasOwn(layerNames, match[2]!)
    ? `blk.${match[1]}.${ggufName}.${match[3]}`
    : undefined;
}

/**
 * The shortest decimal that is the same float32: GGUF stores eps and theta as float32, so 1e-5
 * arrives as 9.999999747e-6; reading it back as 1e-5 keeps configs comparable across formats.
 */
function float32Decimal(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === Math.fround(value)) return candidate;
  }
  return value;
}

function metadataError(file: GgufFile, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${file.source}: ${what}.`, {
    hint,
    details: { source: file.source },
  });
}

const DAMAGED = "The GGUF metadata is damaged; convert the model again with llama.cpp.";

/** Reads `{prefix}.*` numbers of the metadata: any number, or a size (a positive integer). */
interface MetadataReader {
  prefix: string;
  number(key: string, fallback?: number): number;
  size(key: string, fallback?: number): number;
  /** The error for a damaged value, described by `what`. */
  fail(what: string): TokenscopeError;
}

function metadataReader(file: GgufFile, prefix: string): MetadataReader {
  const number = (key: string, fallback?: number): number => {
    const value = file.metadata[`${prefix}.${key}`];
    if (typeof value === "number" || typeof value === "bigint") return Number(value);
    if (fallback !== undefined) return fallback;
    throw metadataError(
      file,
      `the metadata lacks ${prefix}.${key}`,
      "The GGUF file is incomplete; convert the model again with llama.cpp.",
    );
  };
  const size = (key: string, fallback?: number): number => {
    const value = number(key, fallback);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw metadataError(file, `${prefix}.${key} must be a positive integer, got ${value}`, DAMAGED);
    }
    return value;
  };
  return { prefix, number, size, fail: (what) => metadataError(file, what, DAMAGED) };
}

/** embedding_length / head_count, which must be whole when the metadata gives no key_length. */
function wholeHeadSize(file: GgufFile, prefix: string, hiddenSize: number, numHeads: number): number {
  if (hiddenSize % numHeads !== 0) {
    throw metadataError(
      file,
      `${prefix}.embedding_length ${hiddenSize} is not a multiple of ${prefix}.attention.head_count ${numHeads}`,
      DAMAGED,
    );
  }
  return hiddenSize / numHeads;
}

/** The architecture entry of a GGUF file, refusing one tokenscope does not read. */
function ggufArchitectureOf(file: GgufFile): { name: string; architecture: GgufArchitecture } {
  const name = file.metadata["general.architecture"];
  const architecture = typeof name === "string" ? ggufArchitectures[name] : undefined;
  if (typeof name !== "string" || !architecture || !Object.hasOwn(ggufArchitectures, name)) {
    const supported = Object.keys(ggufArchitectures)
      .map((known) => `"${known}"`)
      .join(", ");
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${file.source}: GGUF architecture "${String(name)}" is not supported; supported: ${supported}.`,
      {
        hint: "Load this model from its safetensors instead.",
        details: { source: file.source, architecture: name, supported: Object.keys(ggufArchitectures) },
      },
    );
  }
  return { name, architecture };
}

/**
 * The decoder config of a GGUF model of one of {@link ggufArchitectures}: "llama" (Llama 1-3,
 * Mistral, TinyLlama, SmolLM, llama2.c conversions), "qwen2" (Qwen1.5, Qwen2, Qwen2.5), "gemma",
 * "gemma2", "gemma3" (Gemma 3's text model, as gemma3_text) or "phi3" (Phi-3, Phi-3.5 mini, LongRoPE included), from its `{architecture}.*` and `tokenizer.ggml.*` metadata. The RoPE style and any
 * further settings (Gemma 2's window, soft caps and attention scale) are the architecture's (see
 * {@link GgufArchitecture}). Sizes are checked (positive, whole, within tokenscope's limits) before
 * anything uses them.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another architecture (the supported ones
 *   named) or RoPE variant; MODEL_LOAD_FAILED for missing, damaged or out-of-bounds sizes.
 */
export function ggufLlamaConfig(file: GgufFile): DecoderConfig {
  const meta = file.metadata;
  const { name: prefix, architecture } = ggufArchitectureOf(file);
  const read = metadataReader(file, prefix);
  const { number, size } = read;
  const hiddenSize = size("embedding_length");
  const numHeads = size("attention.head_count");
  const derivedHeadDim = meta[`${prefix}.attention.key_length`] === undefined;
  const headDim = derivedHeadDim
    ? wholeHeadSize(file, prefix, hiddenSize, numHeads)
    : size("attention.key_length");
  const rotaryDims = number("rope.dimension_count", headDim);
  // llama.cpp's converters write the rotary size as the head size (its loader refuses llama and
  // qwen2 files where they differ); when the head size is derived from the head count, a mismatch
  // means the head count is wrong, not that rotation is partial.
  if (derivedHeadDim && rotaryDims !== headDim) {
    throw metadataError(
      file,
      `${prefix}.attention.head_count ${numHeads} gives heads of ${headDim}, but ${prefix}.rope.dimension_count is ${rotaryDims}`,
      DAMAGED,
    );
  }
  const scalingType = meta[`${prefix}.rope.scaling.type`];
  const readScaling =
    typeof scalingType === "string" && (architecture.ropeScalingTypes ?? []).includes(scalingType);
  if (rotaryDims !== headDim || file.tensors.has("rope_freqs.weight") || (scalingType && !readScaling)) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${file.source}: partial rotary embeddings or RoPE scaling (Llama 3.1 rope_freqs) are not supported yet.`,
      { hint: "Load this model from its safetensors instead.", details: { source: file.source } },
    );
  }
  const tokens = meta["tokenizer.ggml.tokens"];
  const embed = file.tensors.get("token_embd.weight");
  const vocabSize = size("vocab_size", Array.isArray(tokens) ? tokens.length : (embed?.dims[0] ?? 0));
  const optionalId = (key: string): number | undefined => {
    const value = meta[`tokenizer.ggml.${key}`];
    return typeof value === "number" ? value : undefined;
  };
  const config: DecoderConfig = {
    architecture: architecture.modelType ?? prefix,
    vocabSize,
    hiddenSize,
    intermediateSize: size("feed_forward_length"),
    numLayers: size("block_count"),
    numHeads,
    numKeyValueHeads: size("attention.head_count_kv", numHeads),
    headDim,
    contextLength: size("context_length"),
    rmsNormEps: float32Decimal(number("attention.layer_norm_rms_epsilon")),
    ropeTheta: float32Decimal(number("rope.freq_base", 10000)),
    ropeStyle: architecture.ropeStyle,
    tieWordEmbeddings: !file.tensors.has("output.weight"),
  };
  const bos = optionalId("bos_token_id");
  const eos = optionalId("eos_token_id");
  if (bos !== undefined) config.bosTokenId = bos;
  if (eos !== undefined) config.eosTokenId = eos;
  if (architecture.settings) Object.assign(config, architecture.settings(read, config, file));
  validateDecoderConfig(config, file.source);
  checkDecoderConfigBounds(config, file.source, metadataFieldNames(prefix));
  return config;
}

/**
 * Reads the weights of a GGUF "llama", "qwen2", "gemma", "gemma2", "gemma3" or "phi3" model: config from metadata,
 * tensors renamed to Hugging Face names with row-major [out, in] dims and dequantized to fp32, and
 * Gemma's norm weights given back their Hugging Face values (see {@link GEMMA_NORM_OFFSET}). An output matrix stored
 * separately stays separate (`lm_head.weight`), even when its values equal the embedding; without
 * one (`output.weight` absent) the embedding is tied.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for tensors the architecture does not have;
 *   MODEL_LOAD_FAILED for damaged metadata or a missing or misshapen tensor, named by llama.cpp's name.
 */
export function ggufToDecoderWeights(file: GgufFile): DecoderWeights {
  const config = ggufLlamaConfig(file);
  const { architecture } = ggufArchitectureOf(file);
  checkWeightsFitFile(config, file.bytes.byteLength, MIN_BYTES_PER_WEIGHT, file.source);
  const tensors = new Map<string, WeightTensor>();
  const unknown: string[] = [];
  const layerNames = ggufLayerNamesOf(config.architecture);
  const settingTensors = new Set(architecture.settingTensors ?? []);
  for (const name of file.tensors.keys()) {
    if (settingTensors.has(name)) continue;
    const hfName =
      fusedHfName(name, architecture) ?? hfNameOfGgufTensor(name, architecture.biases, layerNames);
    if (!hfName) {
      unknown.push(name);
      continue;
    }
    // Made on first read: a weight file keeps F16, BF16, Q8_0 and Q4_0 matrices as they are stored.
    const tensor = lazyGgufTensor(file, name);
    // The converter's test, on the Hugging Face name: `name.endswith("norm.weight")`.
    if (architecture.normWeightOffset !== undefined && hfName.endsWith("norm.weight")) {
      const offset = architecture.normWeightOffset;
      for (let i = 0; i < tensor.data.length; i++) tensor.data[i] = tensor.data[i]! - offset;
    }
    tensors.set(hfName, tensor);
  }
  if (unknown.length > 0) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${file.source}: tensors ${unknown.slice(0, 5).join(", ")} are not part of a plain ${config.architecture} model.`,
      {
        hint: "This variant (biases, extra norms, experts) is not supported from GGUF; load its safetensors.",
        details: { unknown },
      },
    );
  }
  const weights = { config, tensors };
  if (architecture.split) {
    checkFusedTensorsPresent(file, config, architecture, tensors);
    architecture.split(config, tensors, file.source);
  }
  checkExpectedTensorsPresent(file, config, tensors);
  validateDecoderWeights(weights, file.source);
  return weights;
}

/** The Hugging Face name of a fused block tensor (`blk.3.attn_qkv.weight`), else undefined. */
function fusedHfName(name: string, architecture: GgufArchitecture): string | undefined {
  const match = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  const named = match && architecture.fused && Object.hasOwn(architecture.fused, match[2]!);
  return named ? architecture.fused![match[2]!]!(Number(match[1])) : undefined;
}

/** Refuses a file that lacks the tensors `missing` (llama.cpp names), naming the first five. */
function throwIfMissing(file: GgufFile, config: DecoderConfig, missing: readonly string[]): void {
  if (missing.length === 0) return;
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${file.source}: the ${config.architecture} GGUF lacks ${missing.length === 1 ? "tensor" : "tensors"} ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ""}.`,
    {
      hint: "The GGUF file is incomplete; convert the model again with llama.cpp.",
      details: { source: file.source, missing: [...missing] },
    },
  );
}

/** Names a missing fused tensor as the file would, before the split reads them. */
function checkFusedTensorsPresent(
  file: GgufFile,
  config: DecoderConfig,
  architecture: GgufArchitecture,
  tensors: ReadonlyMap<string, WeightTensor>,
): void {
  const missing: string[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const [ggufName, hfName] of Object.entries(architecture.fused ?? {})) {
      if (!tensors.has(hfName(layer))) missing.push(`blk.${layer}.${ggufName}.weight`);
    }
  }
  throwIfMissing(file, config, missing);
}

/**
 * Names a missing tensor as the file would (`blk.0.attn_q.bias`), which is what a user can look
 * for in the file; shape checks follow in `validateDecoderWeights`, under Hugging Face names.
 */
function checkExpectedTensorsPresent(
  file: GgufFile,
  config: DecoderConfig,
  tensors: ReadonlyMap<string, WeightTensor>,
): void {
  const missing = [...expectedTensorDims(config).keys()]
    .filter((name) => !tensors.has(name))
    .map((name) => ggufNameOfHfTensor(name, ggufLayerNamesOf(config.architecture)) ?? name);
  throwIfMissing(file, config, missing);
}
