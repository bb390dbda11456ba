import type { DecoderWeights } from "../weights/types.ts";
import { buildLlamaLikeGraph, type LlamaVariant } from "./llama.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/** Gemma's departures from Llama's block: RMSNorms scaling by `1 + weight`, GELU (tanh) gating. */
const gemmaVariant: LlamaVariant = {
  qkvBias: false,
  outputBias: false,
  mlpBias: false,
  qkNorm: false,
  normWeightOffset: 1,
  defaultActivation: "gelu_tanh",
};

/** Gemma's token rows are multiplied by `sqrt(hidden)` before the first layer (the "normalizer"). */
function gemmaTokenScale(weights: DecoderWeights): number {
  return Math.sqrt(weights.config.hiddenSize);
}

/**
 * The graph of a Gemma (1) model: Llama's block with RMSNorms that scale by `1 + weight`, a GeGLU
 * feed-forward `down(gelu_tanh(gate x) · up x)`, token rows (looked up or fed) multiplied by
 * `sqrt(hidden)`, a head size free of hidden / heads, and the output tied to the token table
 * unless the config says otherwise.
 */
export function buildGemmaGraph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  return buildLlamaLikeGraph(weights, options, gemmaVariant, { tokenScale: gemmaTokenScale(weights) });
}

/**
 * Whether layer `layer` of a Gemma 2 model attends within the sliding window: the even layers
 * (0, 2, ...), as transformers' `is_sliding = not bool(layer_idx % 2)`; the odd ones see the whole
 * prefix.
 */
function gemma2LayerIsSliding(layer: number): boolean {
  return layer % 2 === 0;
}

/**
 * The graph of a Gemma 2 model: Gemma plus a norm after attention and one on each side of the
 * MLP (`post_attention_layernorm`, `pre_feedforward_layernorm`, `post_feedforward_layernorm`),
 * scores scaled by `queryPreAttentionScalar^-0.5` and soft-capped (`attentionLogitSoftcap`), the
 * sliding window on even layers only, and soft-capped logits (`finalLogitSoftcap`).
 */
export function buildGemma2Graph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const { slidingWindow, finalLogitSoftcap } = weights.config;
  return buildLlamaLikeGraph(
    weights,
    options,
    { ...gemmaVariant, sandwichNorms: true },
    {
      tokenScale: gemmaTokenScale(weights),
      slidingWindowOf: (layer) => (gemma2LayerIsSliding(layer) ? slidingWindow : undefined),
      ...(finalLogitSoftcap === undefined ? {} : { finalLogitSoftcap }),
    },
  );
}
