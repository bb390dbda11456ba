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

/**
 * Gemma 2's extra per-layer RMSNorms: around the feed-forward block (its `post_attention_layernorm`
 * normalises the attention output instead of the feed-forward input).
 */
export type FeedForwardNormName = "pre_feedforward_layernorm" | "post_feedforward_layernorm";

/** Hugging Face name of a per-layer weight: `model.layers.{layer}.{name}.weight`. */
export function layerTensorName(
  layer: number,
  name: LayerWeightName | FeedForwardNormName | QkNormName,
): string {
  return `model.layers.${layer}.${name}.weight`;
}

/** Hugging Face name of a per-layer bias (`attention_bias`, `mlp_bias`, Qwen2's q/k/v biases). */
export function layerBiasName(layer: number, name: LayerWeightName): string {
  return `model.layers.${layer}.${name}.bias`;
}

/** Qwen3's per-head RMSNorm weights [headDim] on queries and keys, by Hugging Face suffix. */
export type QkNormName = "self_attn.q_norm" | "self_attn.k_norm";

/** Hugging Face name of a Qwen3 q/k norm weight: `model.layers.{layer}.self_attn.q_norm.weight`. */
export function qkNormTensorName(layer: number, name: QkNormName): string {
  return `model.layers.${layer}.${name}.weight`;
}

/** Per-layer tensors of GPT-2 (`transformer.h.{layer}.*`); Conv1D matrices are [in, out]. */
export type Gpt2LayerTensor =
  | "ln_1.weight"
  | "ln_1.bias"
  | "attn.c_attn.weight"
  | "attn.c_attn.bias"
  | "attn.c_proj.weight"
  | "attn.c_proj.bias"
  | "ln_2.weight"
  | "ln_2.bias"
  | "mlp.c_fc.weight"
  | "mlp.c_fc.bias"
  | "mlp.c_proj.weight"
  | "mlp.c_proj.bias";

/**
 * GPT-2 tensor names as `GPT2LMHeadModel` saves them. Checkpoints saved from `GPT2Model` (the
 * original `gpt2` files) lack the `transformer.` prefix: loaders add it. The output matrix is `wte`.
 */
export const gpt2Names = {
  tokenEmbedding: "transformer.wte.weight",
  positionEmbedding: "transformer.wpe.weight",
  finalNormWeight: "transformer.ln_f.weight",
  finalNormBias: "transformer.ln_f.bias",
  layer: (layer: number, name: Gpt2LayerTensor): string => `transformer.h.${layer}.${name}`,
} as const;

/** Per-layer tensors of GPT-NeoX (`gpt_neox.layers.{layer}.*`); matrices are [out, in]. */
export type NeoxLayerTensor =
  | "input_layernorm.weight"
  | "input_layernorm.bias"
  | "post_attention_layernorm.weight"
  | "post_attention_layernorm.bias"
  | "attention.query_key_value.weight"
  | "attention.query_key_value.bias"
  | "attention.dense.weight"
  | "attention.dense.bias"
  | "mlp.dense_h_to_4h.weight"
  | "mlp.dense_h_to_4h.bias"
  | "mlp.dense_4h_to_h.weight"
  | "mlp.dense_4h_to_h.bias";

/**
 * GPT-NeoX (Pythia) tensor names as `GPTNeoXForCausalLM` saves them. The fused
 * `query_key_value` rows are grouped per head: [q, k, v] of head 0, then of head 1, ...
 */
export const neoxNames = {
  tokenEmbedding: "gpt_neox.embed_in.weight",
  finalNormWeight: "gpt_neox.final_layer_norm.weight",
  finalNormBias: "gpt_neox.final_layer_norm.bias",
  output: "embed_out.weight",
  layer: (layer: number, name: NeoxLayerTensor): string => `gpt_neox.layers.${layer}.${name}`,
} as const;

/** Per-layer tensors of OPT (`model.decoder.layers.{layer}.*`); matrices are [out, in]. */
export type OptLayerTensor =
  | `self_attn.${"q" | "k" | "v" | "out"}_proj.${"weight" | "bias"}`
  | `${"self_attn_layer_norm" | "final_layer_norm" | "fc1" | "fc2"}.${"weight" | "bias"}`;

/** Rows of OPT's learned position table before position 0 (`OPTLearnedPositionalEmbedding.offset`). */
export const OPT_POSITION_OFFSET = 2;

/**
 * OPT tensor names as `OPTForCausalLM` saves them. Checkpoints saved from `OPTModel` lack the
 * `model.` prefix: loaders add it. The output matrix is `embed_tokens` (`lm_head.weight` when
 * untied). The position table has {@link OPT_POSITION_OFFSET} rows more than the context: position
 * `p` reads row `p + 2`. The final norm exists with pre-norm layers only (`do_layer_norm_before`).
 */
export const optNames = {
  tokenEmbedding: "model.decoder.embed_tokens.weight",
  positionEmbedding: "model.decoder.embed_positions.weight",
  finalNormWeight: "model.decoder.final_layer_norm.weight",
  finalNormBias: "model.decoder.final_layer_norm.bias",
  /** opt-350m: [hidden, wordEmbeddingSize], widening the token rows (no bias). */
  projectIn: "model.decoder.project_in.weight",
  /** opt-350m: [wordEmbeddingSize, hidden], narrowing the final hidden states (no bias). */
  projectOut: "model.decoder.project_out.weight",
  layer: (layer: number, name: OptLayerTensor): string => `model.decoder.layers.${layer}.${name}`,
} as const;

/** Width of the token embeddings (and of `inputs_embeds`): the hidden size unless OPT projects them. */
export function tokenEmbeddingWidth(config: DecoderConfig): number {
  return config.wordEmbeddingSize ?? config.hiddenSize;
}

/**
 * The shape every tensor of a model with this config must have, by Hugging Face name. The map
 * lists exactly the tensors a complete checkpoint holds (no output matrix when tied). Dispatches
 * on `config.architecture`; any architecture other than gpt2, gpt_neox and opt gets the Llama layout
 * (qwen2 with q/k/v biases, qwen3 with q/k norms, gemma2 with two feed-forward norms per layer,
 * gemma3_text with both;
 * phi3 exactly Llama's, as its fused checkpoint matrices are split at load: `hf/phi3-fused.ts`).
 */
export function expectedTensorDims(config: DecoderConfig): Map<string, number[]> {
  switch (config.architecture) {
    case "gpt2":
      return gpt2TensorDims(config);
    case "gpt_neox":
      return neoxTensorDims(config);
    case "opt":
      return optTensorDims(config);
    default:
      return llamaTensorDims(config);
  }
}

function llamaTensorDims(config: DecoderConfig): Map<string, number[]> {
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
  const qwen2 = config.architecture === "qwen2";
  const attentionBias = config.attentionBias === true;
  const biased = (name: LayerWeightName): boolean =>
    name.startsWith("self_attn.")
      ? attentionBias || (qwen2 && name !== "self_attn.o_proj")
      : name.startsWith("mlp.") && config.mlpBias === true;
  const dims = new Map<string, number[]>([[EMBED_TOKENS, [config.vocabSize, hidden]]]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const name of layerWeightNames) {
      dims.set(layerTensorName(layer, name), layerDims[name]);
      if (biased(name)) dims.set(layerBiasName(layer, name), [layerDims[name][0]!]);
    }
    if (config.architecture === "qwen3" || config.architecture === "gemma3_text") {
      dims.set(qkNormTensorName(layer, "self_attn.q_norm"), [config.headDim]);
      dims.set(qkNormTensorName(layer, "self_attn.k_norm"), [config.headDim]);
    }
    if (config.architecture === "gemma2" || config.architecture === "gemma3_text") {
      dims.set(layerTensorName(layer, "pre_feedforward_layernorm"), [hidden]);
      dims.set(layerTensorName(layer, "post_feedforward_layernorm"), [hidden]);
    }
  }
  dims.set(FINAL_NORM, [hidden]);
  if (!config.tieWordEmbeddings) dims.set(LM_HEAD, [config.vocabSize, hidden]);
  return dims;
}

function gpt2TensorDims(config: DecoderConfig): Map<string, number[]> {
  const hidden = config.hiddenSize;
  const ffn = config.intermediateSize;
  const layerDims: Record<Gpt2LayerTensor, number[]> = {
    "ln_1.weight": [hidden],
    "ln_1.bias": [hidden],
    "attn.c_attn.weight": [hidden, 3 * hidden],
    "attn.c_attn.bias": [3 * hidden],
    "attn.c_proj.weight": [hidden, hidden],
    "attn.c_proj.bias": [hidden],
    "ln_2.weight": [hidden],
    "ln_2.bias": [hidden],
    "mlp.c_fc.weight": [hidden, ffn],
    "mlp.c_fc.bias": [ffn],
    "mlp.c_proj.weight": [ffn, hidden],
    "mlp.c_proj.bias": [hidden],
  };
  const dims = new Map<string, number[]>([
    [gpt2Names.tokenEmbedding, [config.vocabSize, hidden]],
    [gpt2Names.positionEmbedding, [config.contextLength, hidden]],
  ]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const [name, shape] of Object.entries(layerDims)) {
      dims.set(gpt2Names.layer(layer, name as Gpt2LayerTensor), shape);
    }
  }
  dims.set(gpt2Names.finalNormWeight, [hidden]);
  dims.set(gpt2Names.finalNormBias, [hidden]);
  if (!config.tieWordEmbeddings) dims.set(LM_HEAD, [config.vocabSize, hidden]);
  return dims;
}

function neoxTensorDims(config: DecoderConfig): Map<string, number[]> {
  const hidden = config.hiddenSize;
  const ffn = config.intermediateSize;
  const qkv = 3 * config.numHeads * config.headDim;
  const layerDims: Record<NeoxLayerTensor, number[]> = {
    "input_layernorm.weight": [hidden],
    "input_layernorm.bias": [hidden],
    "post_attention_layernorm.weight": [hidden],
    "post_attention_layernorm.bias": [hidden],
    "attention.query_key_value.weight": [qkv, hidden],
    "attention.query_key_value.bias": [qkv],
    "attention.dense.weight": [hidden, config.numHeads * config.headDim],
    "attention.dense.bias": [hidden],
    "mlp.dense_h_to_4h.weight": [ffn, hidden],
    "mlp.dense_h_to_4h.bias": [ffn],
    "mlp.dense_4h_to_h.weight": [hidden, ffn],
    "mlp.dense_4h_to_h.bias": [hidden],
  };
  const dims = new Map<string, number[]>([[neoxNames.tokenEmbedding, [config.vocabSize, hidden]]]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const [name, shape] of Object.entries(layerDims)) {
      dims.set(neoxNames.layer(layer, name as NeoxLayerTensor), shape);
    }
  }
  dims.set(neoxNames.finalNormWeight, [hidden]);
  dims.set(neoxNames.finalNormBias, [hidden]);
  if (!config.tieWordEmbeddings) dims.set(neoxNames.output, [config.vocabSize, hidden]);
  return dims;
}

function optTensorDims(config: DecoderConfig): Map<string, number[]> {
  const hidden = config.hiddenSize;
  const ffn = config.intermediateSize;
  const width = tokenEmbeddingWidth(config);
  const dims = new Map<string, number[]>([
    [optNames.tokenEmbedding, [config.vocabSize, width]],
    [optNames.positionEmbedding, [config.contextLength + OPT_POSITION_OFFSET, hidden]],
  ]);
  if (width !== hidden) {
    dims.set(optNames.projectIn, [hidden, width]);
    dims.set(optNames.projectOut, [width, hidden]);
  }
  const linear = (
    layer: number,
    name: "self_attn.q_proj" | "self_attn.k_proj" | "self_attn.v_proj" | "self_attn.out_proj" | "fc1" | "fc2",
    out: number,
    input: number,
  ) => {
    dims.set(optNames.layer(layer, `${name}.weight`), [out, input]);
    dims.set(optNames.layer(layer, `${name}.bias`), [out]);
  };
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const name of [
      "self_attn.q_proj",
      "self_attn.k_proj",
      "self_attn.v_proj",
      "self_attn.out_proj",
    ] as const)
      linear(layer, name, hidden, hidden);
    linear(layer, "fc1", ffn, hidden);
    linear(layer, "fc2", hidden, ffn);
    for (const norm of ["self_attn_layer_norm", "final_layer_norm"] as const) {
      dims.set(optNames.layer(layer, `${norm}.weight`), [hidden]);
      dims.set(optNames.layer(layer, `${norm}.bias`), [hidden]);
    }
  }
  if (config.layerNormBefore ?? true) {
    dims.set(optNames.finalNormWeight, [hidden]);
    dims.set(optNames.finalNormBias, [hidden]);
  }
  if (!config.tieWordEmbeddings) dims.set(LM_HEAD, [config.vocabSize, width]);
  return dims;
}
