import type { GraphContext } from "../context.ts";
import { pastKeyName, pastValueName } from "../tensor-names.ts";
import type { DecoderDataType } from "../types.ts";
import { crossKeyName, crossValueName, encoderDecoderTensorNames as names } from "./tensor-names.ts";

/** Options of every family's incremental encoder-decoder graphs (encoder, cross KV, cached decoder). */
export interface CachedDecoderGraphOptions {
  /** Activation type; default float32. */
  dataType?: DecoderDataType;
}

/** [batch, seq, heads, headDim] → [batch, heads, seq, headDim], the layout of the KV cache. */
export const headsFirst = (ctx: GraphContext, x: string, output?: string) =>
  ctx.op("Transpose", [x], { perm: [0, 2, 1, 3] }, output);

/** One decoder layer's cache inputs: its own past keys/values and the source's cross keys/values. */
export interface CachedLayerInputs {
  pastKey: string;
  pastValue: string;
  crossKey: string;
  crossValue: string;
}

/**
 * The inputs every family's cached decoder declares, in order: the new target ids, the mask of past
 * plus new targets, the source mask, then per layer `past_key/value.{l}` [batch, heads, past,
 * headDim] and `cross_key/value.{l}` [batch, heads, src, headDim].
 */
export function cachedDecoderInputs(
  ctx: GraphContext,
  dataType: DecoderDataType,
  dims: { numHeads: number; headDim: number; decoderLayers: number },
): { targetIds: string; targetMask: string; sourceMask: string; layerInputs: CachedLayerInputs[] } {
  const g = ctx.builder;
  const targetIds = g.input(names.decoderInputIds, "int64", ["batch", "tgt"]);
  const targetMask = g.input(names.decoderAttentionMask, "int64", ["batch", "total"]);
  const sourceMask = g.input(names.attentionMask, "int64", ["batch", "src"]);
  const cacheInput = (name: string, length: string) =>
    g.input(name, dataType, ["batch", dims.numHeads, length, dims.headDim]);
  const layerInputs = Array.from({ length: dims.decoderLayers }, (_, layer) => ({
    pastKey: cacheInput(pastKeyName(layer), "past"),
    pastValue: cacheInput(pastValueName(layer), "past"),
    crossKey: cacheInput(crossKeyName(layer), "src"),
    crossValue: cacheInput(crossValueName(layer), "src"),
  }));
  return { targetIds, targetMask, sourceMask, layerInputs };
}
