import {
  EMBED_TOKENS,
  FINAL_NORM,
  type LayerWeightName,
  LM_HEAD,
  layerTensorName,
} from "../../weights/names.ts";
import type { DecoderConfig } from "../../weights/types.ts";

/** "ak42": the magic number of llama2.c's versioned exports (version 1 fp32, version 2 int8). */
export const VERSIONED_MAGIC = 0x616b3432;
/** Size of the legacy header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len. */
export const LEGACY_HEADER_BYTES = 7 * 4;
/** Size of the version-1 header (magic, version, 7 int32, shared-classifier byte, zero padding). */
export const VERSIONED_HEADER_BYTES = 256;

/** Which llama2.c export a file is: 0 for "legacy", 1 for the fp32 "ak42" version 1. */
export type Llama2cVersion = 0 | 1;

/** One weight group of the file: `perLayer` groups hold `numLayers` stacked tensors. */
export interface Llama2cSection {
  name: LayerWeightName | "embed" | "final_norm" | "rope_tables" | "output";
  perLayer: boolean;
  /** Dims of one tensor of the group. */
  dims: number[];
}

/** The config llama2.c implies: its run.c fixes eps, theta, interleaved rotary pairs, BOS and EOS. */
export function llama2cConfig(ints: readonly number[], sharedClassifier: boolean): DecoderConfig {
  const [dim, hidden, layers, heads, kvHeads, vocab, seqLen] = ints as [number, ...number[]];
  return {
    architecture: "llama",
    vocabSize: Math.abs(vocab!),
    hiddenSize: dim,
    intermediateSize: hidden!,
    numLayers: layers!,
    numHeads: heads!,
    numKeyValueHeads: kvHeads!,
    headDim: heads! > 0 ? dim / heads! : 0,
    contextLength: seqLen!,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: "interleaved",
    tieWordEmbeddings: sharedClassifier,
    bosTokenId: 1,
    eosTokenId: 2,
  };
}

/** The weight groups in file order: run.c's `memory_map_weights` (legacy) or export.py's version 1. */
export function llama2cSections(
  config: DecoderConfig,
  version: Llama2cVersion,
  sharedClassifier: boolean,
): Llama2cSection[] {
  const dim = config.hiddenSize;
  const qDim = config.numHeads * config.headDim;
  const kvDim = config.numKeyValueHeads * config.headDim;
  const hidden = config.intermediateSize;
  const layer = (name: LayerWeightName, dims: number[]): Llama2cSection => ({ name, perLayer: true, dims });
  const embed: Llama2cSection = { name: "embed", perLayer: false, dims: [config.vocabSize, dim] };
  const finalNorm: Llama2cSection = { name: "final_norm", perLayer: false, dims: [dim] };
  const attention = [
    layer("self_attn.q_proj", [qDim, dim]),
    layer("self_attn.k_proj", [kvDim, dim]),
    layer("self_attn.v_proj", [kvDim, dim]),
    layer("self_attn.o_proj", [dim, qDim]),
  ];
  // llama2.c's w1, w2, w3 are gate, down, up.
  const ffn = [
    layer("mlp.gate_proj", [hidden, dim]),
    layer("mlp.down_proj", [dim, hidden]),
    layer("mlp.up_proj", [hidden, dim]),
  ];
  const output: Llama2cSection[] = sharedClassifier
    ? []
    : [{ name: "output", perLayer: false, dims: [config.vocabSize, dim] }];
  if (version === 1) {
    return [
      layer("input_layernorm", [dim]),
      layer("post_attention_layernorm", [dim]),
      finalNorm,
      embed,
      ...attention,
      ...ffn,
      ...output,
    ];
  }
  // Legacy files keep two precomputed RoPE tables (cos then sin, [seq_len, head_size / 2] each)
  // that run.c no longer reads.
  const ropeTables: Llama2cSection = {
    name: "rope_tables",
    perLayer: false,
    dims: [2, config.contextLength, config.headDim / 2],
  };
  return [
    embed,
    layer("input_layernorm", [dim]),
    ...attention,
    layer("post_attention_layernorm", [dim]),
    ...ffn,
    finalNorm,
    ropeTables,
    ...output,
  ];
}

/** Number of float32 values a section holds in the file. */
export function sectionFloats(section: Llama2cSection, numLayers: number): number {
  const count = section.dims.reduce((a, b) => a * b, 1);
  return section.perLayer ? count * numLayers : count;
}

/** The Hugging Face name of tensor `layer` of a section; undefined for the unused RoPE tables. */
export function sectionTensorName(section: Llama2cSection, layer: number): string | undefined {
  switch (section.name) {
    case "embed":
      return EMBED_TOKENS;
    case "final_norm":
      return FINAL_NORM;
    case "output":
      return LM_HEAD;
    case "rope_tables":
      return undefined;
    default:
      return layerTensorName(layer, section.name);
  }
}
