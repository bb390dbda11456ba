import type { DecoderWeights } from "../weights/types.ts";
import { buildLlamaLikeGraph } from "./llama.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/**
 * The graph of a Qwen3 (dense) model: Llama's block with an RMSNorm over every query and key head
 * (`q_norm`, `k_norm` [headDim]) before rotary, no q/k/v biases unless `attentionBias`, and a head
 * size that need not be hidden / heads.
 */
export function buildQwen3Graph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const attentionBias = weights.config.attentionBias === true;
  return buildLlamaLikeGraph(weights, options, {
    qkvBias: attentionBias,
    outputBias: attentionBias,
    mlpBias: weights.config.mlpBias === true,
    qkNorm: true,
  });
}
