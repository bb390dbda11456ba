import type { OnnxModel } from "@tokenscope/tensor-backends";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { createGraphContext } from "../context.ts";
import { presentKeyName, presentValueName } from "../tensor-names.ts";
import type { DecoderDataType } from "../types.ts";
import type { BartWeights } from "./bart.ts";
import {
  bartAttentionCore,
  bartContextConfig,
  bartEmbeddings,
  bartEncoderStack,
  bartLinear,
  bartLogits,
  encoderAllowedKeys,
  ffnSublayer,
  projectHeads,
  realSourceKeys,
  residualSublayer,
  selfAttentionSublayer,
  stackOutput,
} from "./bart-blocks.ts";
import { bartNames } from "./bart-names.ts";
import { type CachedDecoderGraphOptions, cachedDecoderInputs, headsFirst } from "./cached-decoder-inputs.ts";
import { prefixedOutputs, withRenamedOutputs } from "./renamed-outputs.ts";
import { crossKeyName, crossValueName, encoderDecoderTensorNames as names } from "./tensor-names.ts";

function contextOf(weights: BartWeights, options: CachedDecoderGraphOptions, graphName: string) {
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext(
    { config: bartContextConfig(weights.config), tensors: weights.tensors },
    dataType,
    graphName,
  );
  return { ctx, dataType };
}

function withMetadata(model: OnnxModel, weights: BartWeights, dataType: DecoderDataType): OnnxModel {
  model.metadata = {
    "tokenscope.architecture": weights.config.architecture,
    "tokenscope.encoderDecoder": "true",
    "tokenscope.input": "ids",
    "tokenscope.dataType": dataType,
  };
  return model;
}

/**
 * The encoder alone, run once per source: `input_ids` and `attention_mask` int64 [batch, src] in,
 * `encoder_hidden_states` [batch, src, hidden] out (what `buildBartGraph` computes and taps).
 */
export function buildBartEncoderGraph(
  weights: BartWeights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const { ctx, dataType } = contextOf(weights, options, `${weights.config.architecture}_encoder`);
  const g = ctx.builder;
  const ids = g.input(names.inputIds, "int64", ["batch", "src"]);
  const sourceMask = g.input(names.attentionMask, "int64", ["batch", "src"]);
  const allowed = encoderAllowedKeys(ctx.within("shared"), sourceMask);
  const memory = bartEncoderStack(ctx, weights.config, weights.tensors, { ids }, allowed);
  g.output(memory, dataType, ["batch", "src", weights.config.hiddenSize]);
  return withMetadata(g.build(), weights, dataType);
}

/**
 * The cross-attention keys and values of every decoder layer, computed once per source:
 * `encoder_hidden_states` [batch, src, hidden] in, `cross_key.{layer}` and `cross_value.{layer}`
 * [batch, heads, src, headDim] out (`encoder_attn.k_proj` / `v_proj`, as `buildBartGraph` applies them).
 */
export function buildBartCrossKeyValueGraph(
  weights: BartWeights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const { ctx, dataType } = contextOf(weights, options, `${weights.config.architecture}_cross_kv`);
  const { hiddenSize: d, numHeads: heads, headDim, decoderLayers } = weights.config;
  const g = ctx.builder;
  const memory = g.input(names.encoderHiddenStates, dataType, ["batch", "src", d]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    const crossCtx = ctx.within(`decoder/layers.${layer}/cross`);
    const cross = bartNames.crossAttention(layer);
    for (const [name, projection] of [
      [crossKeyName(layer), cross.key],
      [crossValueName(layer), cross.value],
    ] as const) {
      const projected = headsFirst(crossCtx, projectHeads(crossCtx, memory, projection), name);
      g.output(projected, dataType, ["batch", heads, "src", headDim]);
    }
  }
  return withMetadata(g.build(), weights, dataType);
}

/**
 * The BART-family decoder run incrementally: only the new target tokens go in, attending over the
 * self-attention keys and values of the earlier ones (a KV cache) and over cross-attention keys and
 * values from {@link buildBartCrossKeyValueGraph}.
 *
 * Inputs: `decoder_input_ids` int64 [batch, new]; `decoder_attention_mask` int64 [batch, past + new]
 * (the whole target so far, right padding); `attention_mask` int64 [batch, src];
 * `past_key.{layer}` / `past_value.{layer}` [batch, heads, past, headDim] (past 0 at the first
 * step); `cross_key.{layer}` / `cross_value.{layer}` [batch, heads, src, headDim]. Outputs: `logits`
 * [batch, new, vocab], then `present_key.{layer}` / `present_value.{layer}` [batch, heads,
 * past + new, headDim]. Positions (learned rows or sinusoids) start at the past length.
 */
export function buildBartCachedDecoderGraph(
  weights: BartWeights,
  options: CachedDecoderGraphOptions = {},
): OnnxModel {
  const { config, tensors } = weights;
  const { ctx, dataType } = contextOf(weights, options, `${config.architecture}_cached_decoder`);
  const g = ctx.builder;
  const { numHeads: heads, headDim, decoderLayers } = config;
  const { targetIds, targetMask, sourceMask, layerInputs } = cachedDecoderInputs(ctx, dataType, config);

  const shared = ctx.within("shared");
  const lengthOf = (x: string) =>
    shared.op("Gather", [shared.op("Shape", [x]), g.constant([1n], [])], { axis: 0 });
  const pastLength = shared.op("Sub", [lengthOf(targetMask), lengthOf(targetIds)]);
  const realSource = realSourceKeys(shared, sourceMask);
  const decoderAllowed = attentionAllowed(shared, targetMask, undefined, targetIds);

  // Tap names as the full graph has them (`decoder.values.0`), the cache outputs as they are.
  const presentNames = new Set<string>();
  const decoder = withRenamedOutputs(ctx.within("decoder"), (output) =>
    presentNames.has(output) ? output : `decoder.${output}`,
  );
  let hidden = bartEmbeddings(
    decoder.within("embeddings"),
    config,
    tensors,
    "decoder",
    { ids: targetIds },
    pastLength,
  );
  for (let layer = 0; layer < decoderLayers; layer++) {
    const inputs = layerInputs[layer]!;
    const layerCtx = decoder.within(`layers.${layer}`);
    const cache = {
      pastKey: inputs.pastKey,
      pastValue: inputs.pastValue,
      presentKey: presentKeyName(layer),
      presentValue: presentValueName(layer),
    };
    presentNames.add(cache.presentKey).add(cache.presentValue);
    const afterSelf = selfAttentionSublayer(layerCtx, config, hidden, "decoder", layer, {
      allowed: decoderAllowed,
      cache,
    });
    const crossCtx = prefixedOutputs(ctx.within(`decoder/layers.${layer}/cross`), "cross");
    const cross = bartNames.crossAttention(layer);
    const afterCross = residualSublayer(layerCtx, config, afterSelf, cross.norm, (input) => {
      const attended = bartAttentionCore(
        crossCtx,
        {
          queries: projectHeads(crossCtx, input, cross.query),
          keys: headsFirst(crossCtx, inputs.crossKey),
          values: headsFirst(crossCtx, inputs.crossValue),
        },
        { allowed: realSource, layer },
      );
      return bartLinear(crossCtx, attended, cross.out);
    });
    hidden = ffnSublayer(layerCtx, config, afterCross, "decoder", layer);
  }
  const decoderOutput = stackOutput(ctx.within("decoder"), config, "decoder", hidden);
  const logits = bartLogits(ctx, config, tensors, decoderOutput, names.logits);
  g.output(logits, dataType, ["batch", "tgt", config.vocabSize]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    g.output(presentKeyName(layer), dataType, ["batch", heads, "total", headDim]);
    g.output(presentValueName(layer), dataType, ["batch", heads, "total", headDim]);
  }
  return withMetadata(g.build(), weights, dataType);
}
