import { rmsNorm } from "../blocks/rms-norm.ts";
import type { GraphContext } from "../context.ts";
import {
  encoderAllowed,
  feedForwardSublayer,
  headsFirst,
  lengthOf,
  positionsBetween,
  preNormResidual,
  project,
  selfKeysValues,
  t5Attention,
  t5Embeddings,
} from "./t5-blocks.ts";
import type { T5Config } from "./t5-config.ts";
import { t5Names } from "./t5-names.ts";
import { t5RelativePositionBias } from "./t5-relative-positions.ts";
import { type AttentionKind, encoderDecoderTensorNames as names } from "./tensor-names.ts";

/** The value mask input of one attention, or nothing when value zeroing is off. */
export type ValueMaskOf = (kind: AttentionKind, layer: number) => string | undefined;

const bucketsOf = (config: T5Config, bidirectional: boolean) => ({
  bidirectional,
  numBuckets: config.relativeBuckets,
  maxDistance: config.relativeMaxDistance,
});

/**
 * The encoder: embeddings, then per layer `x + selfAttention(norm x)` and `x + ffn(norm x)`, every
 * layer adding the bidirectional position bias of block 0's table; the final RMS norm gives
 * `encoder_hidden_states` [batch, src, hidden].
 */
export function t5EncoderStack(
  root: GraphContext,
  config: T5Config,
  tokens: { ids?: string; embeds?: string },
  sourceMask: string,
  valueMask: ValueMaskOf,
): string {
  const ctx = root.within("encoder");
  const allowed = encoderAllowed(ctx, sourceMask);
  const positions = positionsBetween(ctx, ctx.builder.constant([0n], []), lengthOf(ctx, sourceMask));
  const bias = t5RelativePositionBias(ctx, {
    table: t5Names.relativeBias("encoder"),
    queries: positions,
    keys: positions,
    buckets: bucketsOf(config, true),
  });
  let hidden = t5Embeddings(ctx, "encoder", tokens);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const layerCtx = ctx.within(`layers.${layer}`);
    const self = t5Names.selfAttention("encoder", layer);
    const afterSelf = preNormResidual(layerCtx, config, hidden, self.norm, (normed) => {
      const mask = valueMask("encoder", layer);
      const attended = t5Attention(layerCtx, config, {
        kind: "encoder",
        layer,
        queries: headsFirst(layerCtx, project(layerCtx, normed, self.query), config),
        ...selfKeysValues(layerCtx, config, normed, "encoder", layer),
        allowed,
        bias,
        ...(mask === undefined ? {} : { valueMask: mask }),
      });
      return project(layerCtx, attended, self.output);
    });
    hidden = feedForwardSublayer(layerCtx, config, afterSelf, "encoder", layer);
  }
  return rmsNorm(ctx, hidden, t5Names.finalNorm("encoder"), config.layerNormEps, names.encoderHiddenStates);
}

/** What one decoder layer attends with, built once per graph. */
export interface T5DecoderLayerInputs {
  /** bool [batch, 1, new, past + new]: causal and real target keys. */
  selfAllowed: string;
  /** float [1, heads, new, past + new]: the unidirectional position bias. */
  selfBias: string;
  /** bool [batch, 1, 1, src]: real source keys. */
  crossAllowed: string;
  valueMask: ValueMaskOf;
}

/**
 * The decoder's position bias [1, heads, new, past + new] for query positions `past ..< total`
 * over key positions `0 ..< total` (int64 scalars); the full graph has past = 0.
 */
export function t5DecoderBias(ctx: GraphContext, config: T5Config, past: string, total: string): string {
  return t5RelativePositionBias(ctx, {
    table: t5Names.relativeBias("decoder"),
    queries: positionsBetween(ctx, past, total),
    keys: positionsBetween(ctx, ctx.builder.constant([0n], []), total),
    buckets: bucketsOf(config, false),
  });
}

/**
 * Cross-attention keys and values [batch, heads, src, headDim] of the encoder output `memory`,
 * under `names` when given (the `cross.values.{layer}` tap, or the cross KV graph's outputs).
 */
export function t5CrossKeysValues(
  ctx: GraphContext,
  config: T5Config,
  memory: string,
  layer: number,
  names: { key?: string; value?: string } = {},
): { keys: string; values: string } {
  const cross = t5Names.crossAttention(layer);
  return {
    keys: headsFirst(ctx, project(ctx, memory, cross.key), config, names.key),
    values: headsFirst(ctx, project(ctx, memory, cross.value), config, names.value),
  };
}

/**
 * One decoder layer: causal self-attention with the position bias (optionally over a KV cache),
 * cross-attention over `cross` keys and values without a bias, then the feed-forward block; the
 * output is `decoder.residual.{layer}`.
 */
export function t5DecoderLayer(
  root: GraphContext,
  config: T5Config,
  hidden: string,
  layer: number,
  inputs: T5DecoderLayerInputs,
  cross: { keys: string; values: string },
  past?: { key: string; value: string; presentKey: string; presentValue: string },
): string {
  const ctx = root.within(`decoder/layers.${layer}`);
  const self = t5Names.selfAttention("decoder", layer);
  const optionalMask = (kind: AttentionKind) => {
    const mask = inputs.valueMask(kind, layer);
    return mask === undefined ? {} : { valueMask: mask };
  };
  const afterSelf = preNormResidual(ctx, config, hidden, self.norm, (normed) => {
    const attended = t5Attention(ctx, config, {
      kind: "decoder",
      layer,
      queries: headsFirst(ctx, project(ctx, normed, self.query), config),
      ...selfKeysValues(ctx, config, normed, "decoder", layer, past),
      allowed: inputs.selfAllowed,
      bias: inputs.selfBias,
      ...optionalMask("decoder"),
    });
    return project(ctx, attended, self.output);
  });
  const crossNames = t5Names.crossAttention(layer);
  const crossCtx = ctx.within("cross");
  const afterCross = preNormResidual(crossCtx, config, afterSelf, crossNames.norm, (normed) => {
    const attended = t5Attention(crossCtx, config, {
      kind: "cross",
      layer,
      queries: headsFirst(crossCtx, project(crossCtx, normed, crossNames.query), config),
      ...cross,
      allowed: inputs.crossAllowed,
      ...optionalMask("cross"),
    });
    return project(crossCtx, attended, crossNames.output);
  });
  return feedForwardSublayer(ctx, config, afterCross, "decoder", layer);
}
