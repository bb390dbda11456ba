import { type NeoxLayerTensor, neoxNames } from "../weights/names.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { attention } from "./blocks/attention.ts";
import { geluMlp } from "./blocks/gelu-mlp.ts";
import { layerNorm } from "./blocks/layer-norm.ts";
import { type LinearWeights, linear } from "./blocks/linear.ts";
import { applyRotary } from "./blocks/rotary.ts";
import type { GraphContext } from "./context.ts";
import { buildDecoderFrame, type LayerInputs, rotarySpecOf } from "./decoder-frame.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/** Hugging Face's GPTNeoXConfig default `rotary_pct`. */
const NEOX_ROTARY_FRACTION = 0.25;

/**
 * One GPT-NeoX block. The fused `query_key_value` output is grouped per head ([q, k, v] of head 0,
 * then of head 1, ...), so it is viewed as [batch, seq, heads, 3 × headDim] and split on the last
 * axis. Rotary covers the first `rotaryFraction` of each head. With `parallelResidual` (Pythia)
 * `x + attn(ln1 x) + mlp(ln2 x)`, otherwise `h = x + attn(ln1 x); h + mlp(ln2 h)`.
 */
function neoxLayer(ctx: GraphContext, hidden: string, inputs: LayerInputs): string {
  const c = ctx.config;
  const { layer } = inputs;
  const eps = c.layerNormEps ?? 1e-5;
  const name = (tensor: NeoxLayerTensor) => neoxNames.layer(layer, tensor);
  const dense = (
    prefix: "attention.query_key_value" | "attention.dense" | "mlp.dense_h_to_4h" | "mlp.dense_4h_to_h",
  ): LinearWeights => ({ weight: name(`${prefix}.weight`), bias: name(`${prefix}.bias`), layout: "out-in" });
  const norm = (prefix: "input_layernorm" | "post_attention_layernorm") => ({
    weight: name(`${prefix}.weight`),
    bias: name(`${prefix}.bias`),
  });

  const attentionCtx = ctx.within("attn");
  const fused = linear(
    attentionCtx,
    layerNorm(attentionCtx, hidden, norm("input_layernorm"), eps),
    dense("attention.query_key_value"),
  );
  const perHead = attentionCtx.op("Reshape", [fused, ctx.ints([0, 0, c.numHeads, 3 * c.headDim])]);
  const [queries, keys, values] = ctx.builder.node(
    "Split",
    [perHead, ctx.ints([c.headDim, c.headDim, c.headDim])],
    { axis: -1 },
    { outputs: 3 },
  ) as [string, string, string];
  const rotate = (x: string) =>
    inputs.rotary === undefined ? x : applyRotary(attentionCtx, x, inputs.rotary, c.headDim);
  const attended = attention(attentionCtx, {
    layer,
    queries: rotate(queries),
    keys: rotate(keys),
    values,
    numHeads: c.numHeads,
    numKeyValueHeads: c.numHeads,
    headDim: c.headDim,
    allowed: inputs.allowed,
    ...(inputs.valueMask === undefined ? {} : { valueMask: inputs.valueMask }),
    ...(inputs.cache === undefined ? {} : { cache: inputs.cache }),
  });
  const attentionOut = linear(attentionCtx, attended, dense("attention.dense"));

  const mlpCtx = ctx.within("mlp");
  const mlp = (x: string) =>
    geluMlp(
      mlpCtx,
      layerNorm(mlpCtx, x, norm("post_attention_layernorm"), eps),
      layer,
      { up: dense("mlp.dense_h_to_4h"), down: dense("mlp.dense_4h_to_h") },
      c.activation ?? "gelu",
    );
  if (c.parallelResidual ?? true) {
    return ctx.op("Add", [ctx.op("Add", [hidden, attentionOut]), mlp(hidden)], {}, inputs.output);
  }
  const afterAttention = ctx.op("Add", [hidden, attentionOut]);
  return ctx.op("Add", [afterAttention, mlp(afterAttention)], {}, inputs.output);
}

/**
 * The graph of a GPT-NeoX model (Pythia): LayerNorm, partial rotary positions (default a quarter of
 * each head, half-style pairs), fused per-head q/k/v, exact GELU, parallel residual by default, a
 * separate output matrix `embed_out` (or the embedding when tied).
 */
export function buildGptNeoxGraph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const config = weights.config;
  return buildDecoderFrame(weights, options, {
    name: config.architecture,
    tokenTable: neoxNames.tokenEmbedding,
    rotary: rotarySpecOf(config, NEOX_ROTARY_FRACTION),
    layer: neoxLayer,
    finalNorm: (ctx, hidden) =>
      layerNorm(
        ctx,
        hidden,
        { weight: neoxNames.finalNormWeight, bias: neoxNames.finalNormBias },
        config.layerNormEps ?? 1e-5,
      ),
    output: config.tieWordEmbeddings ? { tied: neoxNames.tokenEmbedding } : { separate: neoxNames.output },
  });
}
