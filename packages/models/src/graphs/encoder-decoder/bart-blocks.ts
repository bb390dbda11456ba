import type { DecoderActivation, DecoderConfig, WeightTensor } from "../../weights/types.ts";
import { activation } from "../blocks/activations.ts";
import { type AttentionCache, attention, splitHeads } from "../blocks/attention.ts";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { layerNorm } from "../blocks/layer-norm.ts";
import { linear } from "../blocks/linear.ts";
import { castTo, type GraphContext } from "../context.ts";
import type { BartActivation, BartConfig } from "./bart-config.ts";
import {
  BART_POSITION_OFFSET,
  type BartParamNames,
  type BartStack,
  bartNames,
  bartOutputMatrixName,
  bartTokenTableName,
} from "./bart-names.ts";
import { prefixedOutputs } from "./renamed-outputs.ts";
import { encoderDecoderTensorNames } from "./tensor-names.ts";

/**
 * The pieces of a BART-family encoder-decoder that the full graph (`buildBartGraph`) and the
 * incremental ones (`bart-cached-decoder.ts`) share, so both compute the same thing with the same
 * operators.
 */

/** Queries, keys and values of one attention in head layout, [batch, seq, heads, headDim]. */
export interface BartHeads {
  queries: string;
  keys: string;
  values: string;
}

const activationKinds: Record<BartActivation, DecoderActivation> = {
  gelu: "gelu",
  relu: "relu",
  swish: "silu",
  gelu_new: "gelu_tanh",
};

/**
 * The blocks read only head counts and widths from `GraphContext.config`, which is typed for
 * decoder-only models; this fills it with the decoder side's values.
 */
export function bartContextConfig(config: BartConfig): DecoderConfig {
  return {
    architecture: config.architecture,
    vocabSize: config.vocabSize,
    hiddenSize: config.hiddenSize,
    intermediateSize: config.decoderFfn,
    numLayers: config.decoderLayers,
    numHeads: config.numHeads,
    numKeyValueHeads: config.numHeads,
    headDim: config.headDim,
    contextLength: config.maxPositionEmbeddings,
    rmsNormEps: config.layerNormEps,
    ropeTheta: 10000,
    ropeStyle: "half",
    tieWordEmbeddings: config.tieWordEmbeddings,
    activation: activationKinds[config.activation],
    layerNormEps: config.layerNormEps,
  };
}

/** Which keys each query may see, built once per graph from the two padding masks. */
export interface BartMasks {
  /** bool [batch, 1, 1, src]: real source tokens (cross-attention keys). */
  realSource: string;
  /** bool [batch, 1, src, src]: a real source key, or the query itself (so a padding row is never empty). */
  encoderAllowed: string;
  /** bool [batch, 1, tgt, tgt]: causal, and a real target key or the query itself. */
  decoderAllowed: string;
}

/** The real-source mask [batch, 1, 1, src] of `sourceMask` int64 [batch, src]. */
export function realSourceKeys(ctx: GraphContext, sourceMask: string): string {
  return ctx.op("Unsqueeze", [ctx.op("Cast", [sourceMask], { to: castTo.bool }), ctx.ints([1, 2])]);
}

/**
 * Encoder self-attention keys, bool [batch, 1, src, src]: a real source key, or the query itself,
 * so a padding row is never empty (as `buildTransformerGraph` masks).
 */
export function encoderAllowedKeys(ctx: GraphContext, sourceMask: string, realSource?: string): string {
  const g = ctx.builder;
  const sourceIndices = ctx.op("Range", [
    g.constant([0n], []),
    ctx.op("Gather", [ctx.op("Shape", [sourceMask]), g.constant([1n], [])], { axis: 0 }),
    g.constant([1n], []),
  ]);
  const diagonal = ctx.op("Equal", [
    ctx.op("Unsqueeze", [sourceIndices, ctx.ints([1])]),
    ctx.op("Unsqueeze", [sourceIndices, ctx.ints([0])]),
  ]);
  return ctx.op("Or", [realSource ?? realSourceKeys(ctx, sourceMask), diagonal]);
}

/** The masks `buildTransformerGraph` uses, for the same right-padding behaviour. */
export function bartMasks(ctx: GraphContext, sourceMask: string, targetMask: string): BartMasks {
  const realSource = realSourceKeys(ctx, sourceMask);
  return {
    realSource,
    encoderAllowed: encoderAllowedKeys(ctx, sourceMask, realSource),
    decoderAllowed: attentionAllowed(ctx, targetMask),
  };
}

/**
 * Marian's inverse frequencies 10000^(-2k/d), k < d/2 (`MarianSinusoidalPositionalEmbedding`:
 * column j of `position_enc` is pos / 10000^(2·(j//2)/d); sin takes the even j, cos the odd).
 */
export function marianInverseFrequencies(hiddenSize: number): Float64Array {
  return Float64Array.from({ length: hiddenSize / 2 }, (_, k) => 10000 ** ((-2 * k) / hiddenSize));
}

/**
 * Position encodings [seq, hidden] for the sequence axis of `x` [batch, seq, ...], starting at
 * `pastLength` (an int64 scalar; 0 when absent): rows p + 2 of the learned table, or Marian's
 * [sin | cos] computed in the graph (any length, and float64 in a float64 graph).
 */
export function bartPositions(
  ctx: GraphContext,
  config: BartConfig,
  stack: BartStack,
  x: string,
  pastLength?: string,
): string {
  const g = ctx.builder;
  const seqLength = ctx.op("Gather", [ctx.op("Shape", [x]), g.constant([1n], [])], { axis: 0 });
  const offset = config.positions === "learned" ? BART_POSITION_OFFSET : 0;
  const fixedStart = g.constant([BigInt(offset)], []);
  const start = pastLength === undefined ? fixedStart : ctx.op("Add", [fixedStart, pastLength]);
  const indices = ctx.op("Range", [start, ctx.op("Add", [start, seqLength]), g.constant([1n], [])]);
  if (config.positions === "learned") {
    return ctx.op("Gather", [ctx.weight(bartNames.positionEmbedding(stack)), indices], { axis: 0 });
  }
  const column = ctx.op("Unsqueeze", [
    ctx.op("Cast", [indices], { to: castTo[ctx.dataType] }),
    ctx.ints([1]),
  ]);
  const inverse = marianInverseFrequencies(config.hiddenSize);
  const frequencies = g.constant(ctx.dataType === "float64" ? inverse : Float32Array.from(inverse), [
    inverse.length,
  ]);
  const angles = ctx.op("Mul", [column, frequencies]);
  return ctx.op("Concat", [ctx.op("Sin", [angles]), ctx.op("Cos", [angles])], { axis: -1 });
}

/**
 * The residual stream entering layer 0 of `stack`, output `embeddings`: token rows (looked up, or
 * fed unscaled) × sqrt(d) when `scaleEmbedding`, plus positions, then `layernorm_embedding` where
 * the family has it. The tap is the tensor layer 0 reads, so for BART and mBART it is after that
 * LayerNorm.
 */
export function bartEmbeddings(
  ctx: GraphContext,
  config: BartConfig,
  tensors: Map<string, WeightTensor>,
  stack: BartStack,
  tokens: { ids?: string; embeds?: string },
  pastLength?: string,
): string {
  const looked =
    tokens.ids !== undefined
      ? ctx.op("Gather", [ctx.weight(bartTokenTableName(tensors, config, stack)), tokens.ids], { axis: 0 })
      : tokens.embeds!;
  const scaled = config.scaleEmbedding
    ? ctx.op("Mul", [looked, ctx.float(Math.sqrt(config.hiddenSize))])
    : looked;
  const positions = bartPositions(ctx, config, stack, scaled, pastLength);
  if (!config.layernormEmbedding) return ctx.op("Add", [scaled, positions], {}, "embeddings");
  const summed = ctx.op("Add", [scaled, positions]);
  return layerNorm(ctx, summed, bartNames.layernormEmbedding(stack), config.layerNormEps, "embeddings");
}

const outIn = (names: BartParamNames) => ({ ...names, layout: "out-in" as const });

/** `x W^T + b` of a Hugging Face `nn.Linear`. */
export function bartLinear(ctx: GraphContext, x: string, names: BartParamNames, output?: string): string {
  return linear(ctx, x, outIn(names), output);
}

/** One projection of `x` viewed as heads, [batch, seq, heads, headDim]. */
export function projectHeads(ctx: GraphContext, x: string, names: BartParamNames): string {
  return splitHeads(ctx, bartLinear(ctx, x, names), ctx.config.numHeads, ctx.config.headDim);
}

/**
 * The shared attention core (scores scaled by 1/sqrt(headDim), as Hugging Face scales the
 * queries), output [batch, seq, hidden] before `out_proj`; taps `attention_probs.{layer}` and
 * `values.{layer}` under the caller's prefix.
 */
export function bartAttentionCore(
  ctx: GraphContext,
  heads: BartHeads,
  input: { allowed: string; layer: number; cache?: AttentionCache; valueMask?: string },
): string {
  const c = ctx.config;
  return attention(ctx, {
    layer: input.layer,
    ...heads,
    numHeads: c.numHeads,
    numKeyValueHeads: c.numHeads,
    headDim: c.headDim,
    allowed: input.allowed,
    ...(input.cache ? { cache: input.cache } : {}),
    ...(input.valueMask === undefined ? {} : { valueMask: input.valueMask }),
  });
}

/**
 * One residual sublayer: `LN(x + f(x))` post-norm, `x + f(LN x)` pre-norm; `output` names its
 * result (the residual tap of a layer's last sublayer).
 */
export function residualSublayer(
  ctx: GraphContext,
  config: BartConfig,
  x: string,
  norm: BartParamNames,
  sublayer: (input: string) => string,
  output?: string,
): string {
  if (config.normPosition === "pre") {
    return ctx.op("Add", [x, sublayer(layerNorm(ctx, x, norm, config.layerNormEps))], {}, output);
  }
  return layerNorm(ctx, ctx.op("Add", [x, sublayer(x)]), norm, config.layerNormEps, output);
}

/** The feed-forward sublayer `fc2(act(fc1 ·))`, its activation tapped as `mlp.{layer}`. */
export function ffnSublayer(
  ctx: GraphContext,
  config: BartConfig,
  x: string,
  stack: BartStack,
  layer: number,
): string {
  const f = bartNames.ffn(stack, layer);
  return residualSublayer(
    ctx,
    config,
    x,
    f.norm,
    (input) => {
      const up = bartLinear(ctx, input, f.up);
      const hidden = activation(ctx, up, activationKinds[config.activation], `mlp.${layer}`);
      return bartLinear(ctx, hidden, f.down);
    },
    `residual.${layer}`,
  );
}

/**
 * The self-attention sublayer of `stack`'s layer `layer`, taps under `layerCtx`'s prefix; with
 * `cache` the new keys and values are appended to the past ones (incremental decoding).
 */
export function selfAttentionSublayer(
  layerCtx: GraphContext,
  config: BartConfig,
  x: string,
  stack: BartStack,
  layer: number,
  attend: { allowed: string; valueMask?: string; cache?: AttentionCache },
): string {
  const self = bartNames.selfAttention(stack, layer);
  return residualSublayer(layerCtx, config, x, self.norm, (input) => {
    const heads = {
      queries: projectHeads(layerCtx, input, self.query),
      keys: projectHeads(layerCtx, input, self.key),
      values: projectHeads(layerCtx, input, self.value),
    };
    return bartLinear(layerCtx, bartAttentionCore(layerCtx, heads, { layer, ...attend }), self.out);
  });
}

/** mBART's norm after a stack's last layer; the other families' stacks end at the last layer. */
export function stackOutput(ctx: GraphContext, config: BartConfig, stack: BartStack, hidden: string): string {
  return config.normPosition === "pre"
    ? layerNorm(ctx, hidden, bartNames.finalNorm(stack), config.layerNormEps)
    : hidden;
}

/**
 * `logits` [batch, tgt, vocab]: the decoder output times the output matrix (the shared table when
 * tied), plus `final_logits_bias`. Gemm with `transB` reads the [vocab, hidden] table as stored, so
 * a tied table is held once.
 */
export function bartLogits(
  ctx: GraphContext,
  config: BartConfig,
  tensors: Map<string, WeightTensor>,
  hidden: string,
  output: string,
): string {
  const head = ctx.within("head");
  const rows = head.op("Reshape", [hidden, head.ints([-1, config.hiddenSize])]);
  const matrix = head.weight(bartOutputMatrixName(tensors, config));
  const inputs = config.finalLogitsBias
    ? [rows, matrix, head.weight(bartNames.finalLogitsBias)]
    : [rows, matrix];
  const flat = head.op("Gemm", inputs, { transB: 1 });
  const leading = head.op("Shape", [hidden], { start: 0, end: 2 });
  const shape = head.op("Concat", [leading, head.ints([-1])], { axis: 0 });
  return head.op("Reshape", [flat, shape], {}, output);
}

/**
 * The whole encoder: embeddings, layers with taps `encoder.*`, and (mBART) the final norm, output
 * `encoder_hidden_states` [batch, src, hidden]; `valueMask(layer)` adds value-zeroing inputs.
 */
export function bartEncoderStack(
  ctx: GraphContext,
  config: BartConfig,
  tensors: Map<string, WeightTensor>,
  tokens: { ids?: string; embeds?: string },
  allowed: string,
  valueMask: (layer: number) => { valueMask?: string } = () => ({}),
): string {
  const encoder = prefixedOutputs(ctx.within("encoder"), "encoder");
  let hidden = bartEmbeddings(encoder.within("embeddings"), config, tensors, "encoder", tokens);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const layerCtx = encoder.within(`layers.${layer}`);
    const attended = selfAttentionSublayer(layerCtx, config, hidden, "encoder", layer, {
      allowed,
      ...valueMask(layer),
    });
    hidden = ffnSublayer(layerCtx, config, attended, "encoder", layer);
  }
  const encoderCtx = ctx.within("encoder");
  return encoderCtx.op(
    "Identity",
    [stackOutput(encoderCtx, config, "encoder", hidden)],
    {},
    encoderDecoderTensorNames.encoderHiddenStates,
  );
}
