import { type Gpt2LayerTensor, gpt2Names, LM_HEAD } from "../weights/names.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { attention, splitHeads } from "./blocks/attention.ts";
import { geluMlp } from "./blocks/gelu-mlp.ts";
import { layerNorm } from "./blocks/layer-norm.ts";
import { type LinearWeights, linear } from "./blocks/linear.ts";
import type { GraphContext } from "./context.ts";
import { buildDecoderFrame, type LayerInputs } from "./decoder-frame.ts";
import type { DecoderGraph, DecoderGraphOptions } from "./types.ts";

/**
 * One GPT-2 block: `h = x + c_proj(attn(split(c_attn(ln_1 x))))`, then
 * `h + mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2 h)))`. Conv1D matrices are [in, out], used as they are.
 */
function gpt2Layer(ctx: GraphContext, hidden: string, inputs: LayerInputs): string {
  const c = ctx.config;
  const { layer } = inputs;
  const eps = c.layerNormEps ?? 1e-5;
  const name = (tensor: Gpt2LayerTensor) => gpt2Names.layer(layer, tensor);
  const conv1d = (prefix: "attn.c_attn" | "attn.c_proj" | "mlp.c_fc" | "mlp.c_proj"): LinearWeights => ({
    weight: name(`${prefix}.weight`),
    bias: name(`${prefix}.bias`),
    layout: "in-out",
  });
  const norm = (prefix: "ln_1" | "ln_2") => ({
    weight: name(`${prefix}.weight`),
    bias: name(`${prefix}.bias`),
  });

  const attentionCtx = ctx.within("attn");
  const fused = linear(
    attentionCtx,
    layerNorm(attentionCtx, hidden, norm("ln_1"), eps),
    conv1d("attn.c_attn"),
  );
  const width = c.numHeads * c.headDim;
  const split = ctx.builder.node(
    "Split",
    [fused, ctx.ints([width, width, width])],
    { axis: -1 },
    { outputs: 3 },
  );
  const [queries, keys, values] = split.map((part) => splitHeads(attentionCtx, part, c.numHeads, c.headDim));
  const attended = attention(attentionCtx, {
    layer,
    queries: queries!,
    keys: keys!,
    values: values!,
    numHeads: c.numHeads,
    numKeyValueHeads: c.numHeads,
    headDim: c.headDim,
    allowed: inputs.allowed,
    ...(inputs.valueMask === undefined ? {} : { valueMask: inputs.valueMask }),
    ...(inputs.cache === undefined ? {} : { cache: inputs.cache }),
  });
  const afterAttention = ctx.op("Add", [hidden, linear(attentionCtx, attended, conv1d("attn.c_proj"))]);

  const mlpCtx = ctx.within("mlp");
  const mlp = geluMlp(
    mlpCtx,
    layerNorm(mlpCtx, afterAttention, norm("ln_2"), eps),
    layer,
    { up: conv1d("mlp.c_fc"), down: conv1d("mlp.c_proj") },
    c.activation ?? "gelu_tanh",
  );
  return ctx.op("Add", [afterAttention, mlp], {}, inputs.output);
}

/**
 * The graph of a GPT-2 model: learned position embeddings (`wpe`, read at `position_ids`),
 * pre-LayerNorm blocks with multi-head attention, GELU (tanh approximation) feed-forward, final
 * `ln_f`, output tied to `wte` (a separate `lm_head.weight` when `tieWordEmbeddings` is false).
 */
export function buildGpt2Graph(weights: DecoderWeights, options: DecoderGraphOptions = {}): DecoderGraph {
  const config = weights.config;
  return buildDecoderFrame(weights, options, {
    name: config.architecture,
    tokenTable: gpt2Names.tokenEmbedding,
    positionTable: gpt2Names.positionEmbedding,
    layer: gpt2Layer,
    finalNorm: (ctx, hidden) =>
      layerNorm(
        ctx,
        hidden,
        { weight: gpt2Names.finalNormWeight, bias: gpt2Names.finalNormBias },
        config.layerNormEps ?? 1e-5,
      ),
    output: config.tieWordEmbeddings ? { tied: gpt2Names.tokenEmbedding } : { separate: LM_HEAD },
  });
}
