import type { DecoderConfig } from "../../weights/types.ts";
import { activation } from "../blocks/activations.ts";
import { outputLogits } from "../blocks/output-head.ts";
import { rmsNorm } from "../blocks/rms-norm.ts";
import { castTo, type GraphContext } from "../context.ts";
import type { T5Config } from "./t5-config.ts";
import { type T5Stack, t5Names } from "./t5-names.ts";
import {
  type AttentionKind,
  kindAttentionProbsName,
  kindValuesName,
  stackEmbeddingsName,
  stackMlpName,
  stackResidualName,
} from "./tensor-names.ts";

/**
 * The pieces of a T5 encoder-decoder that the full graph (`buildT5Graph`) and the incremental ones
 * (`t5-cached-decoder.ts`) share, so that both compute the same thing with the same operators.
 * Every tap is named here with its full stable name (`encoder.attention_probs.0`), so no renaming
 * context is needed.
 */

/** Large negative score for masked keys: exp underflows to exactly 0 in float32 and float64, no NaN. */
const MASKED_SCORE = -1e9;

/**
 * The blocks read nothing of `GraphContext.config`, which is typed for decoder-only models; this
 * fills it with T5's values so that the shared context can be created as it is.
 */
export function t5ContextConfig(config: T5Config): DecoderConfig {
  return {
    architecture: config.architecture,
    vocabSize: config.vocabSize,
    hiddenSize: config.hiddenSize,
    intermediateSize: config.ffnSize,
    numLayers: config.decoderLayers,
    numHeads: config.numHeads,
    numKeyValueHeads: config.numHeads,
    headDim: config.headDim,
    contextLength: Number.MAX_SAFE_INTEGER,
    rmsNormEps: config.layerNormEps,
    ropeTheta: 10000,
    ropeStyle: "half",
    tieWordEmbeddings: config.tieWordEmbeddings,
    activation:
      config.feedForward === "gated-silu" ? "silu" : config.feedForward === "relu" ? "relu" : "gelu_tanh",
    layerNormEps: config.layerNormEps,
  };
}

/** The length of axis 1 of `x`, as an int64 scalar. */
export function lengthOf(ctx: GraphContext, x: string): string {
  return ctx.op("Gather", [ctx.op("Shape", [x]), ctx.builder.constant([1n], [])], { axis: 0 });
}

/** int64 [end − start]: `start ..< end`, for scalar int64 bounds. */
export function positionsBetween(ctx: GraphContext, start: string, end: string): string {
  return ctx.op("Range", [start, end, ctx.builder.constant([1n], [])]);
}

/** bool [batch, 1, 1, src]: which source keys are real tokens. */
export function realKeys(ctx: GraphContext, mask: string): string {
  return ctx.op("Unsqueeze", [ctx.op("Cast", [mask], { to: castTo.bool }), ctx.ints([1, 2])]);
}

/**
 * bool [batch, 1, src, src]: a source query sees every real source key, and itself, so that a
 * padding row is never empty (its output is never read by a real position).
 */
export function encoderAllowed(ctx: GraphContext, sourceMask: string): string {
  const indices = positionsBetween(ctx, ctx.builder.constant([0n], []), lengthOf(ctx, sourceMask));
  const diagonal = ctx.op("Equal", [
    ctx.op("Unsqueeze", [indices, ctx.ints([1])]),
    ctx.op("Unsqueeze", [indices, ctx.ints([0])]),
  ]);
  return ctx.op("Or", [realKeys(ctx, sourceMask), diagonal]);
}

/**
 * `{stack}.embeddings` [batch, seq, hidden]: rows of `shared.weight` at the ids, or the fed rows
 * (T5 neither scales embeddings nor adds positions).
 */
export function t5Embeddings(
  ctx: GraphContext,
  stack: T5Stack,
  tokens: { ids?: string; embeds?: string },
): string {
  const name = stackEmbeddingsName(stack);
  return tokens.ids !== undefined
    ? ctx.op("Gather", [ctx.weight(t5Names.shared), tokens.ids], { axis: 0 }, name)
    : ctx.op("Identity", [tokens.embeds!], {}, name);
}

/** `x Wᵀ` for a Hugging Face [out, in] matrix, no bias (T5 has none). */
export function project(ctx: GraphContext, x: string, weight: string, output?: string): string {
  return ctx.op("MatMul", [x, ctx.weightTransposed(weight)], {}, output);
}

/** [batch, seq, heads × headDim] → [batch, heads, seq, headDim]. */
export function headsFirst(ctx: GraphContext, x: string, config: T5Config, output?: string): string {
  const split = ctx.op("Reshape", [x, ctx.ints([0, 0, config.numHeads, config.headDim])]);
  return ctx.op("Transpose", [split], { perm: [0, 2, 1, 3] }, output);
}

/** The inputs of one T5 attention core, heads first. */
export interface T5AttentionInputs {
  kind: AttentionKind;
  layer: number;
  /** [batch, heads, queries, headDim]. */
  queries: string;
  /** [batch, heads, keys, headDim]. */
  keys: string;
  /** [batch, heads, keys, headDim]; in the full graph the tensor named `{kind}.values.{layer}`. */
  values: string;
  /** bool, broadcastable to [batch, heads, queries, keys]. */
  allowed: string;
  /** float [1, heads, queries, keys]: the relative position bias (self-attention only). */
  bias?: string;
  /** float [batch, heads, keys]: `{kind}.value_mask.{layer}`, when value zeroing is on. */
  valueMask?: string;
}

/**
 * T5's attention, [batch, queries, heads × headDim]: scores are plain dot products, not scaled by
 * 1/sqrt(headDim) (T5 folds that scale into its initialisation), plus the position bias; masked
 * keys get a large negative score. The softmax is `{kind}.attention_probs.{layer}`; a value mask
 * multiplies the probabilities' key axis, Σ p m v = Σ (p m) v, as `blocks/attention.ts` does.
 */
export function t5Attention(ctx: GraphContext, config: T5Config, inputs: T5AttentionInputs): string {
  const keysT = ctx.op("Transpose", [inputs.keys], { perm: [0, 1, 3, 2] });
  let scores = ctx.op("MatMul", [inputs.queries, keysT]);
  if (inputs.bias !== undefined) scores = ctx.op("Add", [scores, inputs.bias]);
  const masked = ctx.op("Where", [inputs.allowed, scores, ctx.float(MASKED_SCORE)]);
  let probs = ctx.op("Softmax", [masked], { axis: -1 }, kindAttentionProbsName(inputs.kind, inputs.layer));
  if (inputs.valueMask !== undefined) {
    probs = ctx.op("Mul", [probs, ctx.op("Unsqueeze", [inputs.valueMask, ctx.ints([2])])]);
  }
  const context = ctx.op("MatMul", [probs, inputs.values]);
  return ctx.op("Reshape", [
    ctx.op("Transpose", [context], { perm: [0, 2, 1, 3] }),
    ctx.ints([0, 0, config.numHeads * config.headDim]),
  ]);
}

/** `x + sublayer(RMSNorm(x))`, the residual step of every T5 sub-layer. */
export function preNormResidual(
  ctx: GraphContext,
  config: T5Config,
  x: string,
  norm: string,
  sublayer: (normed: string) => string,
  output?: string,
): string {
  return ctx.op("Add", [x, sublayer(rmsNorm(ctx, x, norm, config.layerNormEps))], {}, output);
}

/**
 * Self-attention's keys [batch, heads, keys, headDim] and values, the values named
 * `{stack}.values.{layer}`. With `past` they are appended to the cached ones, and the presents
 * get their own output names (a graph output needs its own name; the values keep the tap name).
 */
export function selfKeysValues(
  ctx: GraphContext,
  config: T5Config,
  normed: string,
  stack: T5Stack,
  layer: number,
  past?: { key: string; value: string; presentKey: string; presentValue: string },
): { keys: string; values: string } {
  const names = t5Names.selfAttention(stack, layer);
  const valuesName = kindValuesName(stack, layer);
  const newKeys = headsFirst(ctx, project(ctx, normed, names.key), config);
  if (past === undefined) {
    return {
      keys: newKeys,
      values: headsFirst(ctx, project(ctx, normed, names.value), config, valuesName),
    };
  }
  const newValues = headsFirst(ctx, project(ctx, normed, names.value), config);
  const keys = ctx.op("Concat", [past.key, newKeys], { axis: 2 }, past.presentKey);
  const values = ctx.op("Concat", [past.value, newValues], { axis: 2 }, valuesName);
  ctx.op("Identity", [values], {}, past.presentValue);
  return { keys, values };
}

/**
 * The feed-forward sub-layer's inner part on normalised `x`: `wo(relu(wi x))`, or the gated
 * `wo(act(wi_0 x) * wi_1 x)`; the input of `wo` is `{stack}.mlp.{layer}` [batch, seq, ffn].
 */
export function t5FeedForward(
  ctx: GraphContext,
  config: T5Config,
  normed: string,
  stack: T5Stack,
  layer: number,
): string {
  const f = t5Names.feedForward(config, stack, layer);
  const mlpName = stackMlpName(stack, layer);
  const up = project(ctx, normed, f.up);
  let hidden: string;
  if (config.feedForward === "relu") {
    hidden = activation(ctx, up, "relu", mlpName);
  } else {
    // gated-gelu is Hugging Face's gelu_new, the tanh approximation.
    const activated = activation(ctx, up, config.feedForward === "gated-gelu" ? "gelu_tanh" : "silu");
    hidden = ctx.op("Mul", [activated, project(ctx, normed, f.gate!)], {}, mlpName);
  }
  return project(ctx, hidden, f.down);
}

/** The feed-forward residual step, its output `{stack}.residual.{layer}`. */
export function feedForwardSublayer(
  ctx: GraphContext,
  config: T5Config,
  x: string,
  stack: T5Stack,
  layer: number,
): string {
  const norm = t5Names.feedForward(config, stack, layer).norm;
  return preNormResidual(
    ctx,
    config,
    x,
    norm,
    (normed) => t5FeedForward(ctx, config, normed, stack, layer),
    stackResidualName(stack, layer),
  );
}

/**
 * `logits` [batch, tgt, vocab] from the decoder's last residual: the final RMS norm, then the
 * output head. Tied (T5 v1.0) reads `shared.weight` after scaling by `hiddenSize ** -0.5`, as
 * Hugging Face does only when tied; untied (v1.1, flan-t5) reads `lm_head.weight` as it is.
 */
export function t5Logits(ctx: GraphContext, config: T5Config, hidden: string): string {
  const head = ctx.within("head");
  const normed = rmsNorm(head, hidden, t5Names.finalNorm("decoder"), config.layerNormEps);
  if (!config.tieWordEmbeddings) {
    return outputLogits(head, normed, { separate: t5Names.lmHead }, config.hiddenSize);
  }
  const rescaled = head.op("Mul", [normed, head.float(config.hiddenSize ** -0.5)]);
  return outputLogits(head, rescaled, { tied: t5Names.shared }, config.hiddenSize);
}
