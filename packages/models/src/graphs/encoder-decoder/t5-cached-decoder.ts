import type { OnnxModel } from "@tokenscope/tensor-backends";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { createGraphContext } from "../context.ts";
import { presentKeyName, presentValueName } from "../tensor-names.ts";
import type { DecoderDataType } from "../types.ts";
import { type CachedDecoderGraphOptions, cachedDecoderInputs } from "./cached-decoder-inputs.ts";
import type { T5Weights } from "./t5.ts";
import { lengthOf, realKeys, t5ContextConfig, t5Embeddings, t5Logits } from "./t5-blocks.ts";
import { t5CrossKeysValues, t5DecoderBias, t5DecoderLayer, t5EncoderStack } from "./t5-stacks.ts";
import { crossKeyName, crossValueName, encoderDecoderTensorNames as names } from "./tensor-names.ts";

function contextOf(weights: T5Weights, options: CachedDecoderGraphOptions, graphName: string) {
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext(
    { config: t5ContextConfig(weights.config), tensors: weights.tensors },
    dataType,
    graphName,
  );
  return { ctx, dataType };
}

function withMetadata(model: OnnxModel, dataType: DecoderDataType): OnnxModel {
  model.metadata = {
    "tokenscope.architecture": "t5",
    "tokenscope.encoderDecoder": "true",
    "tokenscope.input": "ids",
    "tokenscope.dataType": dataType,
  };
  return model;
}

/**
 * The T5 encoder alone, run once per source: `input_ids` and `attention_mask` int64 [batch, src]
 * in, `encoder_hidden_states` [batch, src, hidden] out (the same operators as `buildT5Graph`'s
 * encoder).
 */
export function buildT5EncoderGraph(weights: T5Weights, options: CachedDecoderGraphOptions = {}): OnnxModel {
  const { ctx, dataType } = contextOf(weights, options, "t5_encoder");
  const g = ctx.builder;
  const ids = g.input(names.inputIds, "int64", ["batch", "src"]);
  const mask = g.input(names.attentionMask, "int64", ["batch", "src"]);
  const memory = t5EncoderStack(ctx, weights.config, { ids }, mask, () => undefined);
  g.output(memory, dataType, ["batch", "src", weights.config.hiddenSize]);
  return withMetadata(g.build(), dataType);
}

/**
 * The cross-attention keys and values of every decoder layer, computed once per source:
 * `encoder_hidden_states` [batch, src, hidden] in, `cross_key.{layer}` and `cross_value.{layer}`
 * [batch, heads, src, headDim] out.
 */
export function buildT5CrossKeyValueGraph(
  weights: T5Weights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const { ctx, dataType } = contextOf(weights, options, "t5_cross_kv");
  const { hiddenSize: d, numHeads: heads, headDim, decoderLayers } = weights.config;
  const g = ctx.builder;
  const memory = g.input(names.encoderHiddenStates, dataType, ["batch", "src", d]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    const outputs = { key: crossKeyName(layer), value: crossValueName(layer) };
    t5CrossKeysValues(ctx.within(`decoder/layers.${layer}/cross`), weights.config, memory, layer, outputs);
    for (const name of [outputs.key, outputs.value])
      g.output(name, dataType, ["batch", heads, "src", headDim]);
  }
  return withMetadata(g.build(), dataType);
}

/**
 * The T5 decoder run incrementally: only the new target tokens go in, attending over the cached
 * self-attention keys and values of the earlier ones and over cross-attention keys and values from
 * {@link buildT5CrossKeyValueGraph}. The position bias of a new query is that of its absolute
 * position `past + i` (Hugging Face's `cache_position`) against every key `0 ..< past + new`.
 *
 * Inputs: `decoder_input_ids` int64 [batch, new]; `decoder_attention_mask` int64 [batch, past + new]
 * (the whole target so far, right padding); `attention_mask` int64 [batch, src];
 * `past_key.{layer}` / `past_value.{layer}` [batch, heads, past, headDim] (past 0 at the first
 * step); `cross_key.{layer}` / `cross_value.{layer}` [batch, heads, src, headDim]. Outputs:
 * `logits` [batch, new, vocab], then `present_key.{layer}` / `present_value.{layer}`
 * [batch, heads, past + new, headDim], the next run's `past_*`.
 */
export function buildT5CachedDecoderGraph(
  weights: T5Weights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const config = weights.config;
  const { ctx, dataType } = contextOf(weights, options, "t5_cached_decoder");
  const g = ctx.builder;
  const { numHeads: heads, headDim, decoderLayers } = config;
  const { targetIds, targetMask, sourceMask, layerInputs } = cachedDecoderInputs(ctx, dataType, config);

  const shared = ctx.within("decoder/shared");
  const total = lengthOf(shared, targetMask);
  const past = shared.op("Sub", [total, lengthOf(shared, targetIds)]);
  const inputs = {
    selfAllowed: attentionAllowed(shared, targetMask, undefined, targetIds),
    selfBias: t5DecoderBias(shared, config, past, total),
    crossAllowed: realKeys(shared, sourceMask),
    valueMask: () => undefined,
  };
  let hidden = t5Embeddings(ctx.within("decoder"), "decoder", { ids: targetIds });
  for (let layer = 0; layer < decoderLayers; layer++) {
    const layerInput = layerInputs[layer]!;
    hidden = t5DecoderLayer(
      ctx,
      config,
      hidden,
      layer,
      inputs,
      { keys: layerInput.crossKey, values: layerInput.crossValue },
      {
        key: layerInput.pastKey,
        value: layerInput.pastValue,
        presentKey: presentKeyName(layer),
        presentValue: presentValueName(layer),
      },
    );
  }
  const logits = t5Logits(ctx, config, hidden);
  g.output(logits, dataType, ["batch", "tgt", config.vocabSize]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    g.output(presentKeyName(layer), dataType, ["batch", heads, "total", headDim]);
    g.output(presentValueName(layer), dataType, ["batch", heads, "total", headDim]);
  }
  return withMetadata(g.build(), dataType);
}
