import type { DecoderConfig } from "../../weights/types.ts";
import { activation } from "../blocks/activations.ts";
import { type AttentionCache, attention, splitHeads } from "../blocks/attention.ts";
import { layerNorm } from "../blocks/layer-norm.ts";
import { type LinearWeights, linear } from "../blocks/linear.ts";
import type { GraphContext } from "../context.ts";
import { sinusoidalPositions } from "./sinusoidal-positions.ts";
import { type LinearNames, transformerNames } from "./transformer-names.ts";
import type { EncoderDecoderConfig } from "./types.ts";

/**
 * The pieces of a Transformer encoder-decoder that the full graph (`buildTransformerGraph`) and the
 * incremental ones (`buildCachedDecoderGraph`, `buildCrossKeyValueGraph`) share, so that they
 * compute the same thing with the same operators.
 */

export type Stack = "encoder" | "decoder";

/** Queries, keys or values of one attention in head layout, [batch, seq, heads, headDim]. */
export interface HeadsView {
  queries: string;
  keys: string;
  values: string;
}

export const outLinear = (tensors: LinearNames): LinearWeights => ({ ...tensors, layout: "out-in" });

/**
 * The blocks read nothing of `GraphContext.config`, which is typed for decoder-only models; this
 * fills it with the decoder side's values so that the shared context can be created as it is.
 */
export function contextConfig(config: EncoderDecoderConfig): DecoderConfig {
  return {
    architecture: config.architecture,
    vocabSize: config.targetVocabSize,
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
    tieWordEmbeddings: false,
    activation: config.activation,
    layerNormEps: config.layerNormEps,
  };
}

/**
 * Scaled token embeddings plus sinusoidal positions, output `embeddings` (`{stack}.embeddings`
 * under the stack's prefixed context). `pastLength` (an int64 scalar) shifts the positions, for a
 * decoder that runs only the tokens after a cached prefix.
 */
export function stackEmbeddings(
  ctx: GraphContext,
  config: EncoderDecoderConfig,
  stack: Stack,
  tokens: { ids?: string; embeds?: string },
  pastLength?: string,
): string {
  const table = transformerNames.tokenEmbedding(stack);
  const looked =
    tokens.ids !== undefined
      ? ctx.op("Gather", [ctx.weight(table), tokens.ids], { axis: 0 })
      : tokens.embeds!;
  const scaled = ctx.op("Mul", [looked, ctx.float(config.embeddingScale)]);
  const positions = sinusoidalPositions(ctx, scaled, config.hiddenSize, config.positionOffset, pastLength);
  return ctx.op("Add", [scaled, positions], {}, "embeddings");
}

const headsOf = (ctx: GraphContext, x: string) => splitHeads(ctx, x, ctx.config.numHeads, ctx.config.headDim);

/** Self-attention's queries, keys and values of pre-norm input `normed` (one fused projection). */
export function selfAttentionHeads(ctx: GraphContext, normed: string, qkv: LinearNames): HeadsView {
  const width = ctx.config.hiddenSize;
  const fused = linear(ctx, normed, outLinear(qkv));
  const split = ctx.builder.node(
    "Split",
    [fused, ctx.ints([width, width, width])],
    { axis: -1 },
    { outputs: 3 },
  );
  const [queries, keys, values] = split as [string, string, string];
  return { queries: headsOf(ctx, queries), keys: headsOf(ctx, keys), values: headsOf(ctx, values) };
}

/** Cross-attention's queries of pre-norm decoder input `normed`, [batch, tgt, heads, headDim]. */
export function crossAttentionQueries(ctx: GraphContext, normed: string, query: LinearNames): string {
  return headsOf(ctx, linear(ctx, normed, outLinear(query)));
}

/** Cross-attention's keys and values of the encoder output `memory` (one fused projection), [batch, src, heads, headDim]. */
export function crossAttentionKeysValues(
  ctx: GraphContext,
  memory: string,
  kv: LinearNames,
): { keys: string; values: string } {
  const width = ctx.config.hiddenSize;
  const fused = linear(ctx, memory, outLinear(kv));
  const split = ctx.builder.node("Split", [fused, ctx.ints([width, width])], { axis: -1 }, { outputs: 2 });
  const [keys, values] = split as [string, string];
  return { keys: headsOf(ctx, keys), values: headsOf(ctx, values) };
}

/**
 * `attention(q, k, v)` [batch, seq, hidden] for heads `view`, keys allowed by `allowed`, optionally
 * appended to `cache`, with `valueMask` [batch, heads, keys] multiplied into the value vectors.
 */
export function attentionOf(
  ctx: GraphContext,
  view: HeadsView,
  input: { allowed: string; layer: number; cache?: AttentionCache; valueMask?: string },
): string {
  const c = ctx.config;
  return attention(ctx, {
    layer: input.layer,
    ...view,
    numHeads: c.numHeads,
    numKeyValueHeads: c.numHeads,
    headDim: c.headDim,
    allowed: input.allowed,
    ...(input.cache ? { cache: input.cache } : {}),
    ...(input.valueMask === undefined ? {} : { valueMask: input.valueMask }),
  });
}

/** `x + down(relu(up(LN x)))`, the activation named `{stack}.mlp.{layer}`. */
export function ffnBlock(ctx: GraphContext, x: string, stack: Stack, layer: number, output: string): string {
  const c = ctx.config;
  const f = transformerNames.ffn(stack, layer);
  const normed = layerNorm(ctx, x, f.norm, c.layerNormEps ?? 1e-5);
  // Under the stack's prefixed context: `{stack}.mlp.{layer}`.
  const hidden = activation(ctx, linear(ctx, normed, outLinear(f.up)), "relu", `mlp.${layer}`);
  return ctx.op("Add", [x, linear(ctx, hidden, outLinear(f.down))], {}, output);
}

/** The decoder's final LayerNorm and output projection: the logits [batch, tgt, targetVocab]. */
export function decoderLogits(ctx: GraphContext, hidden: string, eps: number, output: string): string {
  const head = ctx.within("head");
  return linear(
    head,
    layerNorm(head, hidden, transformerNames.finalNorm("decoder"), eps),
    outLinear(transformerNames.projection),
    output,
  );
}
