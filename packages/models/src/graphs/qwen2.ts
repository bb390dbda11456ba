import type { DecoderWeights } from "../weights/types.ts";
import { buildLlamaLikeGraph } from "./llama.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/**
 * The graph of a Qwen2 / Qwen2.5 model: Llama's block with biases on the q, k and v projections
 * (none on the output projection unless `attentionBias`), usually a tied output and rope theta 1e6.
 */
export function buildQwen2Graph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  return buildLlamaLikeGraph(weights, options, {
    qkvBias: true,
    outputBias: weights.config.attentionBias === true,
    mlpBias: weights.config.mlpBias === true,
    qkNorm: false,
  });
}
