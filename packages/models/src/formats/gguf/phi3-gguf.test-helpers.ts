import { fusePhi3Tensors } from "../../hf/phi3-fused.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { ggufNameOfHfTensor } from "./llama.ts";
import type { GgmlWritableType } from "./quantization.ts";
import { ggufBpeTokenizerMetadata } from "./qwen2-gguf.test-helpers.ts";
import { type GgufMetadataEntry, type GgufWriteInput, ggufValue, writeGguf } from "./write.ts";

/*
 * Writes Phi-3 weights as llama.cpp's convert_hf_to_gguf.py (Phi3MiniModel) does: `phi3.*` metadata
 * (the sliding window, 0 for none), Hugging Face's fused qkv_proj and gate_up_proj as `attn_qkv` and
 * `ffn_up`, rows as stored, LongRoPE as `rope_factors_long`/`rope_factors_short` tensors with
 * `rope.scaling.attn_factor` and `rope.scaling.original_context_length`. Tests only.
 */

/** Options of {@link writePhi3Gguf}. */
export interface Phi3GgufOptions {
  /** Type of the weight matrices (default F32). */
  type?: GgmlWritableType;
  /** A Hugging Face tokenizer to flatten into `tokenizer.ggml.*` (byte-level BPE, as Phi-4's). */
  tokenizer?: { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> };
  /** Leave these llama.cpp tensors out (hostile files). */
  omit?: readonly string[];
}

/** The GGUF description of Phi-3 weights (graph layout: q/k/v and gate/up unfused). */
export function phi3GgufInput(weights: DecoderWeights, options: Phi3GgufOptions = {}): GgufWriteInput {
  const c = weights.config;
  const scaling = c.ropeScaling?.type === "longrope" ? c.ropeScaling : undefined;
  const metadata: Record<string, GgufMetadataEntry> = {
    "general.architecture": ggufValue.string("phi3"),
    "phi3.context_length": ggufValue.uint32(c.contextLength),
    "phi3.rope.scaling.original_context_length": ggufValue.uint32(
      scaling?.originalMaxPositionEmbeddings ?? c.contextLength,
    ),
    "phi3.embedding_length": ggufValue.uint32(c.hiddenSize),
    "phi3.feed_forward_length": ggufValue.uint32(c.intermediateSize),
    "phi3.block_count": ggufValue.uint32(c.numLayers),
    "phi3.attention.head_count": ggufValue.uint32(c.numHeads),
    "phi3.attention.head_count_kv": ggufValue.uint32(c.numKeyValueHeads),
    "phi3.attention.layer_norm_rms_epsilon": ggufValue.float32(c.rmsNormEps),
    "phi3.rope.dimension_count": ggufValue.uint32(c.headDim),
    "phi3.rope.freq_base": ggufValue.float32(c.ropeTheta),
    "phi3.attention.sliding_window": ggufValue.uint32(c.slidingWindow ?? 0),
    ...(scaling ? { "phi3.rope.scaling.attn_factor": ggufValue.float32(scaling.attentionFactor) } : {}),
    ...(options.tokenizer
      ? ggufBpeTokenizerMetadata(options.tokenizer.tokenizerJson, options.tokenizer.tokenizerConfig, "gpt-2")
      : {}),
  };
  const fusedNames = (name: string) =>
    name
      .replace(/^model\.layers\.(\d+)\.self_attn\.qkv_proj\.weight$/, "blk.$1.attn_qkv.weight")
      .replace(/^model\.layers\.(\d+)\.mlp\.gate_up_proj\.weight$/, "blk.$1.ffn_up.weight");
  const type = options.type ?? "F32";
  const omit = new Set(options.omit ?? []);
  const tensors = [...fusePhi3Tensors(c, weights.tensors)].map(([name, tensor]) => ({
    name: ggufNameOfHfTensor(name) ?? fusedNames(name),
    dims: tensor.dims,
    data: tensor.data,
    type: tensor.dims.length === 2 ? type : ("F32" as const),
  }));
  if (scaling) {
    for (const [name, factors] of [
      ["rope_factors_long.weight", scaling.longFactor],
      ["rope_factors_short.weight", scaling.shortFactor],
    ] as const) {
      tensors.push({ name, dims: [factors.length], data: Float32Array.from(factors), type: "F32" });
    }
  }
  return { metadata, tensors: tensors.filter((tensor) => !omit.has(tensor.name)) };
}

/** Writes Phi-3 weights as a GGUF file; see {@link phi3GgufInput}. */
export function writePhi3Gguf(weights: DecoderWeights, options: Phi3GgufOptions = {}): Uint8Array {
  return writeGguf(phi3GgufInput(weights, options));
}
