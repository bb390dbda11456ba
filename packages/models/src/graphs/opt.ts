import { TokenscopeError } from "@tokenscope/core";
import {
  LM_HEAD,
  OPT_POSITION_OFFSET,
  type OptLayerTensor,
  optNames,
  tokenEmbeddingWidth,
} from "../weights/names.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { attention, splitHeads } from "./blocks/attention.ts";
import { geluMlp } from "./blocks/gelu-mlp.ts";
import { layerNorm } from "./blocks/layer-norm.ts";
import { type LinearWeights, linear } from "./blocks/linear.ts";
import type { GraphContext } from "./context.ts";
import { buildDecoderFrame, type LayerInputs } from "./decoder-frame.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

type OptLinear =
  | "self_attn.q_proj"
  | "self_attn.k_proj"
  | "self_attn.v_proj"
  | "self_attn.out_proj"
  | "fc1"
  | "fc2";

/**
 * One OPT block (`OPTDecoderLayer`). Pre-norm (`layerNormBefore`, the default):
 * `h = x + out_proj(attn(self_attn_layer_norm x))`, then `h + fc2(relu(fc1(final_layer_norm h)))`.
 * Post-norm (opt-350m): `h = self_attn_layer_norm(x + out_proj(attn x))`, then
 * `final_layer_norm(h + fc2(relu(fc1 h)))`. Every projection has a bias (`enable_bias`).
 */
function optLayer(ctx: GraphContext, hidden: string, inputs: LayerInputs): string {
  const c = ctx.config;
  const { layer } = inputs;
  const eps = c.layerNormEps ?? 1e-5;
  const before = c.layerNormBefore ?? true;
  const name = (tensor: OptLayerTensor) => optNames.layer(layer, tensor);
  const projection = (prefix: OptLinear): LinearWeights => ({
    weight: name(`${prefix}.weight`),
    bias: name(`${prefix}.bias`),
    layout: "out-in",
  });
  const norm = (
    normCtx: GraphContext,
    x: string,
    prefix: "self_attn_layer_norm" | "final_layer_norm",
    output?: string,
  ) => layerNorm(normCtx, x, { weight: name(`${prefix}.weight`), bias: name(`${prefix}.bias`) }, eps, output);

  const attentionCtx = ctx.within("self_attn");
  const attentionInput = before ? norm(attentionCtx, hidden, "self_attn_layer_norm") : hidden;
  const heads = (prefix: OptLinear) =>
    splitHeads(attentionCtx, linear(attentionCtx, attentionInput, projection(prefix)), c.numHeads, c.headDim);
  const attended = attention(attentionCtx, {
    layer,
    queries: heads("self_attn.q_proj"),
    keys: heads("self_attn.k_proj"),
    values: heads("self_attn.v_proj"),
    numHeads: c.numHeads,
    numKeyValueHeads: c.numHeads,
    headDim: c.headDim,
    allowed: inputs.allowed,
    ...(inputs.valueMask === undefined ? {} : { valueMask: inputs.valueMask }),
    ...(inputs.cache === undefined ? {} : { cache: inputs.cache }),
  });
  const attentionSum = ctx.op("Add", [
    hidden,
    linear(attentionCtx, attended, projection("self_attn.out_proj")),
  ]);
  const afterAttention = before ? attentionSum : norm(attentionCtx, attentionSum, "self_attn_layer_norm");

  const mlpCtx = ctx.within("mlp");
  const mlp = geluMlp(
    mlpCtx,
    before ? norm(mlpCtx, afterAttention, "final_layer_norm") : afterAttention,
    layer,
    { up: projection("fc1"), down: projection("fc2") },
    c.activation ?? "relu",
  );
  if (before) return ctx.op("Add", [afterAttention, mlp], {}, inputs.output);
  return norm(mlpCtx, ctx.op("Add", [afterAttention, mlp]), "final_layer_norm", inputs.output);
}

/**
 * The graph of an OPT model (`OPTForCausalLM`): learned position embeddings read at
 * `position_ids + 2` (`OPTLearnedPositionalEmbedding`'s offset; transformers' positions are
 * `cumsum(attention_mask) - 1`, which is what `position_ids` holds for real tokens), LayerNorm
 * blocks before (pre-norm) or after (post-norm) each residual addition, ReLU feed-forward, biases
 * everywhere, a final `model.decoder.final_layer_norm` with pre-norm only, output tied to
 * `embed_tokens` (a separate `lm_head.weight` when `tieWordEmbeddings` is false); with
 * `wordEmbeddingSize` (opt-350m) `project_in` after the token lookup and `project_out` before the
 * output matrix.
 * @throws TokenscopeError MODEL_LOAD_FAILED when heads × head size is not the hidden size or the
 *   key/value heads are not the heads (OPT has neither a free head size nor grouped-query attention).
 */
export function buildOptGraph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const config = weights.config;
  if (config.numHeads * config.headDim !== config.hiddenSize || config.numKeyValueHeads !== config.numHeads) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${options.source ?? "opt weights"}: OPT needs heads × head size = hidden and as many key/value heads as heads, got ${config.numHeads} × ${config.headDim} for ${config.hiddenSize} and ${config.numKeyValueHeads} key/value heads.`,
      { hint: "Fix the config the weights came with.", details: { config } },
    );
  }
  const before = config.layerNormBefore ?? true;
  const projected = tokenEmbeddingWidth(config) !== config.hiddenSize;
  return buildDecoderFrame(weights, options, {
    name: config.architecture,
    tokenTable: optNames.tokenEmbedding,
    positionTable: optNames.positionEmbedding,
    positionOffset: OPT_POSITION_OFFSET,
    ...(projected ? { projectIn: optNames.projectIn } : {}),
    layer: optLayer,
    // Post-norm layers end in their own norm; OPT then has no final one. opt-350m then narrows the
    // hidden states to the token embeddings' width.
    finalNorm: (ctx, hidden) => {
      const normed = before
        ? layerNorm(
            ctx,
            hidden,
            { weight: optNames.finalNormWeight, bias: optNames.finalNormBias },
            config.layerNormEps ?? 1e-5,
          )
        : hidden;
      return projected ? linear(ctx, normed, { weight: optNames.projectOut, layout: "out-in" }) : normed;
    },
    output: config.tieWordEmbeddings ? { tied: optNames.tokenEmbedding } : { separate: LM_HEAD },
  });
}
