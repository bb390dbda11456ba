import { ggufTokenType } from "../../tokenizers/gguf-llama.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { ggufNameOfHfTensor } from "./llama.ts";
import { type GgmlWritableType, QK } from "./quantization.ts";
import { type GgufMetadataEntry, type GgufWriteInput, ggufValue, writeGguf } from "./write.ts";

/*
 * Writes Qwen2 weights and their Hugging Face tokenizer as llama.cpp's convert_hf_to_gguf.py
 * (Qwen2Model) does: `qwen2.*` metadata, llama.cpp tensor names, Q and K rows as stored (no
 * permutation: llama.cpp runs qwen2 with NEOX rotary), q/k/v biases, the tokenizer flattened into
 * `tokenizer.ggml.*` with pre-tokenizer "qwen2". Tests only: tokenscope writes no qwen2 GGUF.
 */

/** Options of {@link writeQwen2Gguf}. */
export interface Qwen2GgufOptions {
  /** Type of the weight matrices (default F32); norms and biases stay F32, as llama.cpp keeps them. */
  type?: GgmlWritableType;
  /** `tokenizer.ggml.pre`; default "qwen2". */
  pre?: string;
  /** Leave these llama.cpp tensors out (hostile files). */
  omit?: readonly string[];
  /** Metadata to set over the written entries (hostile files). */
  metadata?: Record<string, GgufMetadataEntry>;
}

/** The `tokenizer.ggml.*` metadata of a byte-level BPE tokenizer.json and its tokenizer_config.json. */
export function ggufBpeTokenizerMetadata(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  pre: string,
): Record<string, GgufMetadataEntry> {
  const model = tokenizerJson["model"] as { vocab: Record<string, number>; merges: (string | string[])[] };
  const added = tokenizerJson["added_tokens"] as { id: number; content: string; special: boolean }[];
  const size = Math.max(...Object.values(model.vocab), ...added.map((token) => token.id)) + 1;
  const tokens = new Array<string>(size).fill("");
  for (const [token, id] of Object.entries(model.vocab)) tokens[id] = token;
  const types = tokens.map((): number => ggufTokenType.normal);
  for (const token of added) {
    tokens[token.id] = token.content;
    types[token.id] = token.special ? ggufTokenType.control : ggufTokenType.userDefined;
  }
  const idOf = (configKey: string, ggufKey: string) => {
    const token = tokenizerConfig[configKey];
    const id = typeof token === "string" ? tokens.indexOf(token) : -1;
    return id >= 0 ? { [`tokenizer.ggml.${ggufKey}`]: ggufValue.uint32(id) } : {};
  };
  const template = tokenizerConfig["chat_template"];
  return {
    "tokenizer.ggml.model": ggufValue.string("gpt2"),
    "tokenizer.ggml.pre": ggufValue.string(pre),
    "tokenizer.ggml.tokens": ggufValue.strings(tokens),
    "tokenizer.ggml.token_type": ggufValue.int32s(types),
    "tokenizer.ggml.merges": ggufValue.strings(
      model.merges.map((merge) => (typeof merge === "string" ? merge : merge.join(" "))),
    ),
    ...idOf("bos_token", "bos_token_id"),
    ...idOf("eos_token", "eos_token_id"),
    ...idOf("pad_token", "padding_token_id"),
    "tokenizer.ggml.add_bos_token": ggufValue.bool(false),
    ...(typeof template === "string" ? { "tokenizer.chat_template": ggufValue.string(template) } : {}),
  };
}

/** The GGUF description of Qwen2 weights and tokenizer; see the file comment. */
export function qwen2GgufInput(
  weights: DecoderWeights,
  tokenizer: { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> },
  options: Qwen2GgufOptions = {},
): GgufWriteInput {
  const c = weights.config;
  const metadata: Record<string, GgufMetadataEntry> = {
    "general.architecture": ggufValue.string("qwen2"),
    "general.name": ggufValue.string("random qwen2"),
    "qwen2.context_length": ggufValue.uint32(c.contextLength),
    "qwen2.embedding_length": ggufValue.uint32(c.hiddenSize),
    "qwen2.feed_forward_length": ggufValue.uint32(c.intermediateSize),
    "qwen2.block_count": ggufValue.uint32(c.numLayers),
    "qwen2.attention.head_count": ggufValue.uint32(c.numHeads),
    "qwen2.attention.head_count_kv": ggufValue.uint32(c.numKeyValueHeads),
    "qwen2.attention.layer_norm_rms_epsilon": ggufValue.float32(c.rmsNormEps),
    "qwen2.rope.freq_base": ggufValue.float32(c.ropeTheta),
    "qwen2.rope.dimension_count": ggufValue.uint32(c.headDim),
    ...ggufBpeTokenizerMetadata(tokenizer.tokenizerJson, tokenizer.tokenizerConfig, options.pre ?? "qwen2"),
    ...options.metadata,
  };
  const type = options.type ?? "F32";
  const omit = new Set(options.omit ?? []);
  const tensors = [...weights.tensors]
    .map(([name, tensor]) => {
      const quantizable = !type.startsWith("Q") || (tensor.dims.at(-1) ?? 0) % QK === 0;
      return {
        name: ggufNameOfHfTensor(name)!,
        dims: tensor.dims,
        data: tensor.data,
        type: tensor.dims.length === 2 && quantizable ? type : ("F32" as const),
      };
    })
    .filter((tensor) => !omit.has(tensor.name));
  return { metadata, tensors };
}

/** Writes Qwen2 weights and tokenizer as a GGUF file; see {@link qwen2GgufInput}. */
export function writeQwen2Gguf(
  weights: DecoderWeights,
  tokenizer: { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> },
  options: Qwen2GgufOptions = {},
): Uint8Array {
  return writeGguf(qwen2GgufInput(weights, tokenizer, options));
}
