import {
  EMBED_TOKENS,
  FINAL_NORM,
  type LayerWeightName,
  LM_HEAD,
  layerBiasName,
  layerTensorName,
  qkNormTensorName,
} from "../weights/names.ts";
import type { DecoderActivation, DecoderWeights } from "../weights/types.ts";
import { attention, splitHeads } from "./blocks/attention.ts";
import { type LinearWeights, linear } from "./blocks/linear.ts";
import { rmsNorm } from "./blocks/rms-norm.ts";
import { applyRotary } from "./blocks/rotary.ts";
import { swigluMlp } from "./blocks/swiglu-mlp.ts";
import type { GraphContext } from "./context.ts";
import { buildDecoderFrame, type DecoderFamily, type LayerInputs, rotarySpecOf } from "./decoder-frame.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/** How a Llama-like family departs from Llama: which projections carry biases, per-head q/k norms. */
export interface LlamaVariant {
  /** Biases on the q, k and v projections. */
  qkvBias: boolean;
  /** Bias on the output projection. */
  outputBias: boolean;
  /** Biases on the gate, up and down projections. */
  mlpBias: boolean;
  /** RMSNorm over each query and key head before rotary (Qwen3; Gemma 3, scaling by `1 + weight`). */
  qkNorm: boolean;
  /** Every RMSNorm scales by `normWeightOffset + weight` (Gemma: 1); default 0. */
  normWeightOffset?: number;
  /**
   * Gemma 2's four norms per layer: `post_attention_layernorm` on the attention output before the
   * residual add, `pre_feedforward_layernorm` and `post_feedforward_layernorm` around the MLP.
   */
  sandwichNorms?: boolean;
  /** The MLP's nonlinearity when the config names none; default silu. */
  defaultActivation?: DecoderActivation;
}

/** What a Llama-like family adds to the frame beyond its layers (Gemma's scaled embeddings, Gemma 2's windows). */
export type LlamaFrameExtras = Pick<
  DecoderFamily,
  "tokenScale" | "slidingWindowOf" | "finalLogitSoftcap" | "localRotary" | "usesLocalRotary"
>;

/**
 * One pre-norm Llama block: `h = x + o(attn(rope(q), rope(k), v))` on `rmsnorm(x)`, then
 * `h + down(silu(gate) * up)` on `rmsnorm(h)`. With `sandwichNorms` (Gemma 2) the attention and
 * MLP outputs are normalised again before their residual adds.
 */
function llamaLayer(ctx: GraphContext, hidden: string, inputs: LayerInputs, variant: LlamaVariant): string {
  const c = ctx.config;
  const { layer } = inputs;
  const projection = (name: LayerWeightName, biased: boolean): LinearWeights => ({
    weight: layerTensorName(layer, name),
    layout: "out-in",
    ...(biased ? { bias: layerBiasName(layer, name) } : {}),
  });
  const heads = (name: LayerWeightName, count: number, x: string) =>
    splitHeads(ctx, linear(ctx, x, projection(name, variant.qkvBias)), count, c.headDim);

  const offset = variant.normWeightOffset ?? 0;
  const norm = (scope: GraphContext, x: string, weight: string) =>
    rmsNorm(scope, x, weight, c.rmsNormEps, undefined, offset);
  const attentionCtx = ctx.within("attn");
  const x = norm(attentionCtx, hidden, layerTensorName(layer, "input_layernorm"));
  let queries = heads("self_attn.q_proj", c.numHeads, x);
  let keys = heads("self_attn.k_proj", c.numKeyValueHeads, x);
  const values = heads("self_attn.v_proj", c.numKeyValueHeads, x);
  if (variant.qkNorm) {
    queries = norm(attentionCtx, queries, qkNormTensorName(layer, "self_attn.q_norm"));
    keys = norm(attentionCtx, keys, qkNormTensorName(layer, "self_attn.k_norm"));
  }
  if (inputs.rotary !== undefined) {
    queries = applyRotary(attentionCtx, queries, inputs.rotary, c.headDim);
    keys = applyRotary(attentionCtx, keys, inputs.rotary, c.headDim);
  }
  const attended = attention(attentionCtx, {
    layer,
    queries,
    keys,
    values,
    numHeads: c.numHeads,
    numKeyValueHeads: c.numKeyValueHeads,
    headDim: c.headDim,
    allowed: inputs.allowed,
    ...(inputs.valueMask === undefined ? {} : { valueMask: inputs.valueMask }),
    ...(inputs.cache === undefined ? {} : { cache: inputs.cache }),
    ...(c.queryPreAttentionScalar === undefined ? {} : { scoreScale: c.queryPreAttentionScalar ** -0.5 }),
    ...(c.attentionLogitSoftcap === undefined ? {} : { scoreSoftcap: c.attentionLogitSoftcap }),
  });
  const attentionOutput = linear(attentionCtx, attended, projection("self_attn.o_proj", variant.outputBias));
  const sandwich = variant.sandwichNorms === true;
  const afterAttention = ctx.op("Add", [
    hidden,
    sandwich
      ? norm(attentionCtx, attentionOutput, layerTensorName(layer, "post_attention_layernorm"))
      : attentionOutput,
  ]);

  const mlpCtx = ctx.within("mlp");
  const y = norm(
    mlpCtx,
    afterAttention,
    layerTensorName(layer, sandwich ? "pre_feedforward_layernorm" : "post_attention_layernorm"),
  );
  const mlp = swigluMlp(
    mlpCtx,
    y,
    layer,
    {
      gate: projection("mlp.gate_proj", variant.mlpBias),
      up: projection("mlp.up_proj", variant.mlpBias),
      down: projection("mlp.down_proj", variant.mlpBias),
    },
    c.activation ?? variant.defaultActivation ?? "silu",
  );
  const mlpOutput = sandwich ? norm(mlpCtx, mlp, layerTensorName(layer, "post_feedforward_layernorm")) : mlp;
  return ctx.op("Add", [afterAttention, mlpOutput], {}, inputs.output);
}

/**
 * A Llama-like graph (Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2 and 3) for `variant`, with `extras`
 * passed on to the frame. Weights must be validated already.
 */
export function buildLlamaLikeGraph(
  weights: DecoderWeights,
  options: DecoderGraphOptions,
  variant: LlamaVariant,
  extras: LlamaFrameExtras = {},
): DecoderGraph {
  const config = weights.config;
  const offset = variant.normWeightOffset ?? 0;
  return buildDecoderFrame(weights, options, {
    name: config.architecture,
    tokenTable: EMBED_TOKENS,
    rotary: rotarySpecOf(config),
    layer: (ctx, hidden, inputs) => llamaLayer(ctx, hidden, inputs, variant),
    finalNorm: (ctx, hidden) => rmsNorm(ctx, hidden, FINAL_NORM, config.rmsNormEps, undefined, offset),
    output: config.tieWordEmbeddings ? { tied: EMBED_TOKENS } : { separate: LM_HEAD },
    ...extras,
  });
}

/**
 * The graph of a Llama-architecture model: Llama 2 and 3, Mistral, SmolLM2, TinyLlama, llama2.c
 * checkpoints. RMSNorm, rotary positions (either pairing style, optional linear or Llama 3.1
 * scaling), grouped-query attention, SwiGLU, tied or separate output; `attentionBias` and
 * `mlpBias` as in Hugging Face's LlamaConfig.
 */
export function buildLlamaGraph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const attentionBias = weights.config.attentionBias === true;
  return buildLlamaLikeGraph(weights, options, {
    qkvBias: attentionBias,
    outputBias: attentionBias,
    mlpBias: weights.config.mlpBias === true,
    qkNorm: false,
  });
}
