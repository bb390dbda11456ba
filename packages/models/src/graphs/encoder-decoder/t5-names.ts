import type { T5Config } from "./t5-config.ts";

/** The stacks of a T5 model, as Hugging Face prefixes their tensors. */
export type T5Stack = "encoder" | "decoder";

/** One T5 attention's projections ([out, in], no biases) and the RMS norm before it. */
export interface T5AttentionNames {
  norm: string;
  query: string;
  key: string;
  value: string;
  output: string;
}

/** One T5 feed-forward block: `wi` (ungated) or `wi_0` / `wi_1` (gated), then `wo`. */
export interface T5FeedForwardNames {
  norm: string;
  /** `wi` (relu) or `wi_0` (the activated half of a gated block). */
  up: string;
  /** `wi_1`, the linear half of a gated block; absent for `"relu"`. */
  gate?: string;
  down: string;
}

const attentionOf = (scope: string, module: "SelfAttention" | "EncDecAttention"): T5AttentionNames => ({
  norm: `${scope}.layer_norm.weight`,
  query: `${scope}.${module}.q.weight`,
  key: `${scope}.${module}.k.weight`,
  value: `${scope}.${module}.v.weight`,
  output: `${scope}.${module}.o.weight`,
});

/**
 * Tensor names of a Hugging Face T5 checkpoint (`T5ForConditionalGeneration`). Each block's
 * sub-layers are numbered: `layer.0` self-attention, then (decoder only) `layer.1` cross-attention,
 * then the feed-forward block. Linear matrices are [out, in]; there are no biases.
 */
export const t5Names = {
  /** [vocab, hidden]: token embeddings of both stacks (and the tied output head). */
  shared: "shared.weight",
  /** [vocab, hidden]: the untied output head (T5 v1.1, flan-t5). */
  lmHead: "lm_head.weight",
  finalNorm: (stack: T5Stack) => `${stack}.final_layer_norm.weight`,
  /**
   * [buckets, heads]: the relative position bias of a stack's self-attention. Only block 0 holds
   * it; every layer of the stack adds the same bias.
   */
  relativeBias: (stack: T5Stack) => `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`,
  selfAttention: (stack: T5Stack, layer: number) =>
    attentionOf(`${stack}.block.${layer}.layer.0`, "SelfAttention"),
  crossAttention: (layer: number) => attentionOf(`decoder.block.${layer}.layer.1`, "EncDecAttention"),
  feedForward: (config: T5Config, stack: T5Stack, layer: number): T5FeedForwardNames => {
    const scope = `${stack}.block.${layer}.layer.${stack === "encoder" ? 1 : 2}`;
    const dense = `${scope}.DenseReluDense`;
    const down = `${dense}.wo.weight`;
    const norm = `${scope}.layer_norm.weight`;
    return config.feedForward === "relu"
      ? { norm, up: `${dense}.wi.weight`, down }
      : { norm, up: `${dense}.wi_0.weight`, gate: `${dense}.wi_1.weight`, down };
  },
} as const;

/** Every tensor a T5 model with `config` has, with its shape (`lm_head.weight` only when untied). */
export function t5TensorDims(config: T5Config): Map<string, number[]> {
  const { hiddenSize: d, numHeads: heads, headDim, ffnSize: ffn } = config;
  const inner = heads * headDim;
  const dims = new Map<string, number[]>([[t5Names.shared, [config.vocabSize, d]]]);
  if (!config.tieWordEmbeddings) dims.set(t5Names.lmHead, [config.vocabSize, d]);
  const addAttention = (names: T5AttentionNames) => {
    dims.set(names.norm, [d]);
    for (const projection of [names.query, names.key, names.value]) dims.set(projection, [inner, d]);
    dims.set(names.output, [d, inner]);
  };
  for (const stack of ["encoder", "decoder"] as const) {
    dims.set(t5Names.relativeBias(stack), [config.relativeBuckets, heads]);
    dims.set(t5Names.finalNorm(stack), [d]);
    const layers = stack === "encoder" ? config.encoderLayers : config.decoderLayers;
    for (let layer = 0; layer < layers; layer++) {
      addAttention(t5Names.selfAttention(stack, layer));
      if (stack === "decoder") addAttention(t5Names.crossAttention(layer));
      const f = t5Names.feedForward(config, stack, layer);
      dims.set(f.norm, [d]);
      dims.set(f.up, [ffn, d]);
      if (f.gate !== undefined) dims.set(f.gate, [ffn, d]);
      dims.set(f.down, [d, ffn]);
    }
  }
  return dims;
}
