import type { DecoderConfig } from "./types.ts";

/** Per-layer weights of a Llama block, by their Hugging Face suffix. */
export type LayerWeightName =
  | "self_attn.q_proj"
  | "self_attn.k_proj"
  | "self_attn.v_proj"
  | "self_attn.o_proj"
  | "mlp.gate_proj"
  | "mlp.up_proj"
  | "mlp.down_proj"
  | "input_layernorm"
  | "post_attention_layernorm";

/** Every per-layer weight, in the order loaders list them. */
export const layerWeightNames: readonly LayerWeightName[] = [
  "self_attn.q_proj",
  "self_attn.k_proj",
  "self_attn.v_proj",
  "self_attn.o_proj",
  "mlp.gate_proj",
  "mlp.up_proj",
  "mlp.down_proj",
  "input_layernorm",
  "post_attention_layernorm",
];

/** Hugging Face name of the token embedding [vocab, hidden]. */
export const EMBED_TOKENS = "model.embed_tokens.weight";
/** Hugging Face name of the final RMSNorm weight [hidden]. */
export const FINAL_NORM = "model.norm.weight";
/** Hugging Face name of the output matrix [vocab, hidden]; absent when tied to the embedding. */
export const LM_HEAD = "lm_head.weight";

/** Hugging Face name of a per-layer weight: `model.layers.{layer}.{name}.weight`. */
export function layerTensorName(layer: number, name: LayerWeightName): string {
  return `model.layers.${layer}.${name}.weight`;
}

/**
 * The shape every tensor of a model with this config must have, by Hugging Face name. The map
 * lists exactly the tensors a complete checkpoint holds (no `lm_head.weight` when tied).
 */
export function expectedTensorDims(config: DecoderConfig): Map<string, number[]> {
  const hidden = config.hiddenSize;
  const qDim = config.numHeads * config.headDim;
  const kvDim = config.numKeyValueHeads * config.headDim;
  const ffn = config.intermediateSize;
  const layerDims: Record<LayerWeightName, number[]> = {
    "self_attn.q_proj": [qDim, hidden],
    "self_attn.k_proj": [kvDim, hidden],
    "self_attn.v_proj": [kvDim, hidden],
    "self_attn.o_proj": [hidden, qDim],
    "mlp.gate_proj": [ffn, hidden],
    "mlp.up_proj": [ffn, hidden],
    "mlp.down_proj": [hidden, ffn],
    input_layernorm: [hidden],
    post_attention_layernorm: [hidden],
  };
  const dims = new Map<string, number[]>([[EMBED_TOKENS, [config.vocabSize, hidden]]]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const name of layerWeightNames) dims.set(layerTensorName(layer, name), layerDims[name]);
  }
  dims.set(FINAL_NORM, [hidden]);
  if (!config.tieWordEmbeddings) dims.set(LM_HEAD, [config.vocabSize, hidden]);
  return dims;
}
