import type { OnnxModel } from "@tokenscope/tensor-backends";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { layerNorm } from "../blocks/layer-norm.ts";
import { linear } from "../blocks/linear.ts";
import { castTo, createGraphContext } from "../context.ts";
import { presentKeyName, presentValueName } from "../tensor-names.ts";
import type { DecoderDataType } from "../types.ts";
import { type CachedDecoderGraphOptions, cachedDecoderInputs, headsFirst } from "./cached-decoder-inputs.ts";
import { prefixedOutputs, withRenamedOutputs } from "./renamed-outputs.ts";
import { crossKeyName, crossValueName, encoderDecoderTensorNames as names } from "./tensor-names.ts";
import {
  attentionOf,
  contextConfig,
  crossAttentionKeysValues,
  crossAttentionQueries,
  decoderLogits,
  ffnBlock,
  outLinear,
  selfAttentionHeads,
  stackEmbeddings,
} from "./transformer-blocks.ts";
import { transformerNames } from "./transformer-names.ts";
import type { EncoderDecoderWeights } from "./types.ts";

function contextOf(weights: EncoderDecoderWeights, options: CachedDecoderGraphOptions, graphName: string) {
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext(
    { config: contextConfig(weights.config), tensors: weights.tensors },
    dataType,
    graphName,
  );
  return { ctx, dataType };
}

function withMetadata(
  model: OnnxModel,
  weights: EncoderDecoderWeights,
  dataType: DecoderDataType,
): OnnxModel {
  model.metadata = {
    "tokenscope.architecture": weights.config.architecture,
    "tokenscope.encoderDecoder": "true",
    "tokenscope.input": "ids",
    "tokenscope.dataType": dataType,
  };
  return model;
}

/**
 * The cross-attention keys and values of every decoder layer, computed once per source:
 * `encoder_hidden_states` [batch, src, hidden] in, `cross_key.{layer}` and `cross_value.{layer}`
 * [batch, heads, src, headDim] out (the same projection as `buildTransformerGraph`'s cross-attention).
 */
export function buildCrossKeyValueGraph(
  weights: EncoderDecoderWeights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const { ctx, dataType } = contextOf(weights, options, "transformer_cross_kv");
  const { hiddenSize: d, numHeads: heads, headDim, decoderLayers } = weights.config;
  const g = ctx.builder;
  const memory = g.input(names.encoderHiddenStates, dataType, ["batch", "src", d]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    const crossCtx = ctx.within(`decoder/layers.${layer}/cross`);
    const { keys, values } = crossAttentionKeysValues(
      crossCtx,
      memory,
      transformerNames.crossAttention(layer).kv,
    );
    for (const [name, x] of [
      [crossKeyName(layer), keys],
      [crossValueName(layer), values],
    ] as const) {
      g.output(headsFirst(crossCtx, x, name), dataType, ["batch", heads, "src", headDim]);
    }
  }
  return withMetadata(g.build(), weights, dataType);
}

/**
 * The Transformer's decoder run incrementally: only the new target tokens go in, attending over
 * the self-attention keys and values of the earlier ones (a KV cache) and over cross-attention
 * keys and values computed once per source by {@link buildCrossKeyValueGraph}.
 *
 * Inputs: `decoder_input_ids` int64 [batch, new]; `decoder_attention_mask` int64 [batch, past + new]
 * (the whole target so far, right padding); `attention_mask` int64 [batch, src] (the source's);
 * `past_key.{layer}` / `past_value.{layer}` [batch, heads, past, headDim] (empty, past 0, at the
 * first step); `cross_key.{layer}` / `cross_value.{layer}` [batch, heads, src, headDim]. Outputs:
 * `logits` [batch, new, targetVocab], then `present_key.{layer}` / `present_value.{layer}`
 * [batch, heads, past + new, headDim], the next run's `past_*`. Sinusoidal positions start at the
 * past length. Run in one go over a whole target it computes what `buildTransformerGraph`'s decoder does.
 */
export function buildCachedDecoderGraph(
  weights: EncoderDecoderWeights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const config = weights.config;
  const { ctx, dataType } = contextOf(weights, options, "transformer_cached_decoder");
  const g = ctx.builder;
  const { numHeads: heads, headDim, decoderLayers } = config;
  const { targetIds, targetMask, sourceMask, layerInputs } = cachedDecoderInputs(ctx, dataType, config);
  const eps = config.layerNormEps;

  const shared = ctx.within("shared");
  const lengthOf = (x: string) =>
    shared.op("Gather", [shared.op("Shape", [x]), g.constant([1n], [])], { axis: 0 });
  const pastLength = shared.op("Sub", [lengthOf(targetMask), lengthOf(targetIds)]);
  const realSource = shared.op("Unsqueeze", [
    shared.op("Cast", [sourceMask], { to: castTo.bool }),
    shared.ints([1, 2]),
  ]);
  const decoderAllowed = attentionAllowed(shared, targetMask, undefined, targetIds);

  // Tap names as the full graph has them (`decoder.values.0`), the cache outputs as they are.
  const presentNames = new Set<string>();
  const decoder = withRenamedOutputs(ctx.within("decoder"), (output) =>
    presentNames.has(output) ? output : `decoder.${output}`,
  );
  let hidden = stackEmbeddings(
    decoder.within("embeddings"),
    config,
    "decoder",
    { ids: targetIds },
    pastLength,
  );
  for (let layer = 0; layer < decoderLayers; layer++) {
    const inputs = layerInputs[layer]!;
    const layerCtx = decoder.within(`layers.${layer}`);
    const self = transformerNames.selfAttention("decoder", layer);
    const cache = {
      pastKey: inputs.pastKey,
      pastValue: inputs.pastValue,
      presentKey: presentKeyName(layer),
      presentValue: presentValueName(layer),
    };
    presentNames.add(cache.presentKey).add(cache.presentValue);
    const normed = layerNorm(layerCtx, hidden, self.norm, eps);
    const attended = attentionOf(layerCtx, selfAttentionHeads(layerCtx, normed, self.qkv), {
      allowed: decoderAllowed,
      layer,
      cache,
    });
    const afterSelf = layerCtx.op("Add", [hidden, linear(layerCtx, attended, outLinear(self.out))]);
    const crossCtx = prefixedOutputs(ctx.within(`decoder/layers.${layer}/cross`), "cross");
    const cross = transformerNames.crossAttention(layer);
    const crossNormed = layerNorm(crossCtx, afterSelf, cross.norm, eps);
    const crossAttended = attentionOf(
      crossCtx,
      {
        queries: crossAttentionQueries(crossCtx, crossNormed, cross.query),
        keys: headsFirst(crossCtx, inputs.crossKey),
        values: headsFirst(crossCtx, inputs.crossValue),
      },
      { allowed: realSource, layer },
    );
    const afterCross = layerCtx.op("Add", [afterSelf, linear(crossCtx, crossAttended, outLinear(cross.out))]);
    hidden = ffnBlock(layerCtx, afterCross, "decoder", layer, `residual.${layer}`);
  }
  const logits = decoderLogits(ctx, hidden, eps, names.logits);
  g.output(logits, dataType, ["batch", "tgt", config.targetVocabSize]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    g.output(presentKeyName(layer), dataType, ["batch", heads, "total", headDim]);
    g.output(presentValueName(layer), dataType, ["batch", heads, "total", headDim]);
  }
  return withMetadata(g.build(), weights, dataType);
}
