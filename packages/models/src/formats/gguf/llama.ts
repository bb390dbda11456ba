import { TokenscopeError } from "@tokenscope/core";
import {
  EMBED_TOKENS,
  FINAL_NORM,
  type LayerWeightName,
  LM_HEAD,
  layerTensorName,
} from "../../weights/names.ts";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../../weights/types.ts";
import { validateDecoderConfig, validateDecoderWeights } from "../../weights/validate.ts";
import { type ConfigFieldNames, checkDecoderConfigBounds, checkWeightsFitFile } from "../config-bounds.ts";
import { QK_K } from "./k-quants.ts";
import { ggmlByteLength, ggmlReadableTypes } from "./quantization.ts";
import { type GgufFile, readGgufTensor } from "./read.ts";

/** The metadata keys of the sizes, for messages about them. */
const metadataFieldNames: ConfigFieldNames = {
  hiddenSize: "llama.embedding_length",
  intermediateSize: "llama.feed_forward_length",
  numLayers: "llama.block_count",
  numHeads: "llama.attention.head_count",
  numKeyValueHeads: "llama.attention.head_count_kv",
  headDim: "llama.attention.key_length",
  vocabSize: "llama.vocab_size",
};

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

/** The Hugging Face name of a llama.cpp tensor name, or undefined when it is not a Llama weight. */
export function hfNameOfGgufTensor(name: string): string | undefined {
  if (name === "token_embd.weight") return EMBED_TOKENS;
  if (name === "output_norm.weight") return FINAL_NORM;
  if (name === "output.weight") return LM_HEAD;
  const match = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  if (!match) return undefined;
  const suffix = (Object.keys(ggufLayerNames) as LayerWeightName[]).find(
    (key) => ggufLayerNames[key] === match[2],
  );
  return suffix ? layerTensorName(Number(match[1]), suffix) : undefined;
}

/** The llama.cpp name of a Hugging Face Llama tensor name (the inverse of {@link hfNameOfGgufTensor}). */
export function ggufNameOfHfTensor(name: string): string | undefined {
  if (name === EMBED_TOKENS) return "token_embd.weight";
  if (name === FINAL_NORM) return "output_norm.weight";
  if (name === LM_HEAD) return "output.weight";
  const match = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(name);
  const suffix = match?.[2] as LayerWeightName | undefined;
  return match && suffix && suffix in ggufLayerNames
    ? `blk.${match[1]}.${ggufLayerNames[suffix]}.weight`
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

/** Reads `llama.*` numbers of the metadata: any number, or a size (a positive integer). */
function metadataReader(file: GgufFile) {
  const damaged = "The GGUF metadata is damaged; convert the model again with llama.cpp.";
  const number = (key: string, fallback?: number): number => {
    const value = file.metadata[`llama.${key}`];
    if (typeof value === "number" || typeof value === "bigint") return Number(value);
    if (fallback !== undefined) return fallback;
    throw metadataError(
      file,
      `the metadata lacks llama.${key}`,
      "The GGUF file is incomplete; convert the model again with llama.cpp.",
    );
  };
  const size = (key: string, fallback?: number): number => {
    const value = number(key, fallback);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw metadataError(file, `llama.${key} must be a positive integer, got ${value}`, damaged);
    }
    return value;
  };
  return { number, size };
}

/** embedding_length / head_count, which must be whole when the metadata gives no key_length. */
function wholeHeadSize(source: string, hiddenSize: number, numHeads: number): number {
  if (hiddenSize % numHeads !== 0) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: llama.embedding_length ${hiddenSize} is not a multiple of llama.attention.head_count ${numHeads}.`,
      { hint: "The GGUF metadata is damaged; convert the model again with llama.cpp.", details: { source } },
    );
  }
  return hiddenSize / numHeads;
}

/**
 * The decoder config of a GGUF "llama" model (Llama 1-3, Mistral, TinyLlama, SmolLM, llama2.c
 * conversions) from its `llama.*` and `tokenizer.ggml.*` metadata. Rotary pairs are interleaved:
 * llama.cpp's converter stores Q and K in Meta's layout. Sizes are checked (positive, whole, within
 * tokenscope's limits) before anything uses them.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another architecture or RoPE variant;
 *   MODEL_LOAD_FAILED for missing, damaged or out-of-bounds sizes.
 */
export function ggufLlamaConfig(file: GgufFile): DecoderConfig {
  const meta = file.metadata;
  const architecture = meta["general.architecture"];
  if (architecture !== "llama") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${file.source}: GGUF architecture "${String(architecture)}" is not supported; only "llama" is.`,
      {
        hint: "Load this model from its safetensors instead.",
        details: { source: file.source, architecture },
      },
    );
  }
  const { number, size } = metadataReader(file);
  const hiddenSize = size("embedding_length");
  const numHeads = size("attention.head_count");
  const headDim =
    meta["llama.attention.key_length"] === undefined
      ? wholeHeadSize(file.source, hiddenSize, numHeads)
      : size("attention.key_length");
  const rotaryDims = number("rope.dimension_count", headDim);
  if (rotaryDims !== headDim || file.tensors.has("rope_freqs.weight") || meta["llama.rope.scaling.type"]) {
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
    architecture: "llama",
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
    ropeStyle: "interleaved",
    tieWordEmbeddings: !file.tensors.has("output.weight"),
  };
  const bos = optionalId("bos_token_id");
  const eos = optionalId("eos_token_id");
  if (bos !== undefined) config.bosTokenId = bos;
  if (eos !== undefined) config.eosTokenId = eos;
  validateDecoderConfig(config, file.source);
  checkDecoderConfigBounds(config, file.source, metadataFieldNames);
  return config;
}

/**
 * Reads the weights of a GGUF "llama" model: config from metadata, tensors renamed to Hugging Face
 * names with row-major [out, in] dims and dequantized to fp32. An output matrix stored separately
 * stays separate (`lm_head.weight`), even when its values equal the embedding.
 */
export function ggufToDecoderWeights(file: GgufFile): DecoderWeights {
  const config = ggufLlamaConfig(file);
  checkWeightsFitFile(config, file.bytes.byteLength, MIN_BYTES_PER_WEIGHT, file.source);
  const tensors = new Map<string, WeightTensor>();
  const unknown: string[] = [];
  for (const name of file.tensors.keys()) {
    const hfName = hfNameOfGgufTensor(name);
    if (hfName) tensors.set(hfName, readGgufTensor(file, name));
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${file.source}: tensors ${unknown.slice(0, 5).join(", ")} are not part of a plain Llama model.`,
      {
        hint: "This variant (biases, extra norms, experts) is not supported from GGUF; load its safetensors.",
        details: { unknown },
      },
    );
  }
  const weights = { config, tensors };
  validateDecoderWeights(weights, file.source);
  return weights;
}
