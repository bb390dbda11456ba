import type { DecoderWeights } from "../weights/types.ts";
import { rotarySpecOf } from "./decoder-frame.ts";
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

/**
 * Whether layer `layer` of a Gemma 3 model is a local (sliding-window) one: all but every
 * `pattern`-th, as transformers' `bool((layer_idx + 1) % sliding_window_pattern)`.
 */
export function gemma3LayerIsSliding(layer: number, pattern: number | undefined): boolean {
  return pattern === undefined || (layer + 1) % pattern !== 0;
}

/**
 * The graph of a Gemma 3 text model (`Gemma3ForCausalLM`, model_type gemma3_text): Gemma 2's four
 * norms per layer and scaled embeddings, RMSNorms over each query and key head (scaling by
 * `1 + weight`, as every Gemma norm), five sliding-window layers to one global
 * (`slidingWindowPattern`), the local layers rotating by `ropeLocalTheta` unscaled and the global
 * ones by `ropeTheta` with `ropeScaling`; scores scaled by `queryPreAttentionScalar^-0.5`, with
 * Gemma 2's soft caps only where the config sets them (Gemma 3's default none).
 */
export function buildGemma3Graph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const config = weights.config;
  const { slidingWindow, slidingWindowPattern: pattern, finalLogitSoftcap, ropeLocalTheta } = config;
  const sliding = (layer: number) => gemma3LayerIsSliding(layer, pattern);
  const localRotary =
    ropeLocalTheta === undefined
      ? undefined
      : rotarySpecOf({ ...config, ropeTheta: ropeLocalTheta, ropeScaling: undefined });
  return buildLlamaLikeGraph(
    weights,
    options,
    { ...gemmaVariant, sandwichNorms: true, qkNorm: true },
    {
      tokenScale: gemmaTokenScale(weights),
      slidingWindowOf: (layer) => (sliding(layer) ? slidingWindow : undefined),
      ...(localRotary === undefined ? {} : { localRotary, usesLocalRotary: sliding }),
      ...(finalLogitSoftcap === undefined ? {} : { finalLogitSoftcap }),
    },
  );
}
