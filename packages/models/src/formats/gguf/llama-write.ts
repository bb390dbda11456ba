import { TokenscopeError } from "@tokenscope/core";
import { ggufTokenType } from "../../tokenizers/gguf-llama.ts";
import type { ScoreBpeVocabulary } from "../../tokenizers/score-bpe.ts";
import { withRopeStyle } from "../../weights/rope-permute.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { validateDecoderWeights } from "../../weights/validate.ts";
import { ggufNameOfHfTensor } from "./llama.ts";
import { type GgmlWritableType, QK } from "./quantization.ts";
import { type GgufMetadataEntry, type GgufWriteInput, ggufValue, writeGguf } from "./write.ts";

/** Options of {@link decoderWeightsToGguf}. */
export interface LlamaGgufOptions {
  /** Type of the weight matrices (default F32). Norm weights always stay F32, as llama.cpp keeps them. */
  type?: GgmlWritableType;
  /** A SentencePiece vocabulary to embed as the `tokenizer.ggml.*` metadata. */
  vocabulary?: ScoreBpeVocabulary;
  /** `general.name`. */
  name?: string;
}

/**
 * The `tokenizer.ggml.*` metadata of a SentencePiece vocabulary, as llama.cpp's converter writes
 * it (spaces as "▁", token types: byte 6, unknown 2, other specials control 3, the rest normal 1).
 */
export function ggufLlamaTokenizerMetadata(
  vocabulary: ScoreBpeVocabulary,
): Record<string, GgufMetadataEntry> {
  const byteIds = new Set(Array.from(vocabulary.byteTokenIds).filter((id) => id >= 0));
  const types = vocabulary.pieces.map((_, id) => {
    if (byteIds.has(id)) return ggufTokenType.byte;
    if (id === vocabulary.unknownId) return ggufTokenType.unknown;
    return vocabulary.specialIds.has(id) ? ggufTokenType.control : ggufTokenType.normal;
  });
  const metadata: Record<string, GgufMetadataEntry> = {
    "tokenizer.ggml.model": ggufValue.string("llama"),
    "tokenizer.ggml.tokens": ggufValue.strings(
      vocabulary.pieces.map((piece) => piece.replaceAll(" ", "\u2581")),
    ),
    "tokenizer.ggml.scores": ggufValue.float32s(vocabulary.scores),
    "tokenizer.ggml.token_type": ggufValue.int32s(types),
  };
  if (vocabulary.bosId !== undefined)
    metadata["tokenizer.ggml.bos_token_id"] = ggufValue.uint32(vocabulary.bosId);
  if (vocabulary.eosId !== undefined)
    metadata["tokenizer.ggml.eos_token_id"] = ggufValue.uint32(vocabulary.eosId);
  if (vocabulary.unknownId !== undefined) {
    metadata["tokenizer.ggml.unknown_token_id"] = ggufValue.uint32(vocabulary.unknownId);
  }
  if (vocabulary.addDummyPrefix === false)
    metadata["tokenizer.ggml.add_space_prefix"] = ggufValue.bool(false);
  return metadata;
}

/**
 * Describes Llama weights as a GGUF "llama" file: `llama.*` metadata from the config, tensors
 * under llama.cpp names with Q and K in Meta's interleaved layout (converted when the weights use
 * half-style RoPE). Matrices whose rows are not multiples of 32 cannot be quantized and stay F32.
 */
export function llamaGgufInput(weights: DecoderWeights, options: LlamaGgufOptions = {}): GgufWriteInput {
  validateDecoderWeights(weights, "weights to write");
  if (weights.config.architecture !== "llama") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `GGUF export supports the "llama" architecture, not "${weights.config.architecture}".`,
      { hint: "Write these weights as safetensors instead." },
    );
  }
  const interleaved = withRopeStyle(weights, "interleaved");
  const c = interleaved.config;
  const metadata: Record<string, GgufMetadataEntry> = {
    "general.architecture": ggufValue.string("llama"),
    "general.name": ggufValue.string(options.name ?? "llama"),
    "llama.context_length": ggufValue.uint32(c.contextLength),
    "llama.embedding_length": ggufValue.uint32(c.hiddenSize),
    "llama.feed_forward_length": ggufValue.uint32(c.intermediateSize),
    "llama.block_count": ggufValue.uint32(c.numLayers),
    "llama.attention.head_count": ggufValue.uint32(c.numHeads),
    "llama.attention.head_count_kv": ggufValue.uint32(c.numKeyValueHeads),
    "llama.attention.layer_norm_rms_epsilon": ggufValue.float32(c.rmsNormEps),
    "llama.rope.freq_base": ggufValue.float32(c.ropeTheta),
    "llama.rope.dimension_count": ggufValue.uint32(c.headDim),
    "llama.vocab_size": ggufValue.uint32(c.vocabSize),
  };
  if (c.headDim * c.numHeads !== c.hiddenSize) {
    metadata["llama.attention.key_length"] = ggufValue.uint32(c.headDim);
    metadata["llama.attention.value_length"] = ggufValue.uint32(c.headDim);
  }
  if (options.vocabulary) Object.assign(metadata, ggufLlamaTokenizerMetadata(options.vocabulary));
  if (c.bosTokenId !== undefined) metadata["tokenizer.ggml.bos_token_id"] = ggufValue.uint32(c.bosTokenId);
  if (c.eosTokenId !== undefined) metadata["tokenizer.ggml.eos_token_id"] = ggufValue.uint32(c.eosTokenId);
  const type = options.type ?? "F32";
  const tensors = [...interleaved.tensors].map(([name, tensor]) => {
    const isMatrix = tensor.dims.length === 2;
    const quantizable = !type.startsWith("Q") || (tensor.dims.at(-1) ?? 0) % QK === 0;
    return {
      name: ggufNameOfHfTensor(name)!,
      dims: tensor.dims,
      data: tensor.data,
      type: isMatrix && quantizable ? type : ("F32" as const),
    };
  });
  return { metadata, tensors };
}

/** Writes Llama weights (and optionally their tokenizer) as a GGUF file; see {@link llamaGgufInput}. */
export function writeLlamaGguf(weights: DecoderWeights, options: LlamaGgufOptions = {}): Uint8Array {
  return writeGguf(llamaGgufInput(weights, options));
}
