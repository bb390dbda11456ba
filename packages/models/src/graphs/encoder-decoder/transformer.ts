import { TokenscopeError } from "@tokenscope/core";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { layerNorm } from "../blocks/layer-norm.ts";
import { linear } from "../blocks/linear.ts";
import { castTo, createGraphContext } from "../context.ts";
import { fullGraphInputs } from "./full-graph-inputs.ts";
import { checkEncoderDecoderGraphOptions, encoderDecoderTapShapes } from "./graph-options.ts";
import { prefixedOutputs } from "./renamed-outputs.ts";
import { type AttentionKind, kindValueMaskName, encoderDecoderTensorNames as names } from "./tensor-names.ts";
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
import type { EncoderDecoderGraph, EncoderDecoderGraphOptions, EncoderDecoderWeights } from "./types.ts";

function _invalid(message: string, hint: string, details: Record<string, unknown> = {}): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/**
 * The graph of a pre-norm Transformer encoder-decoder (CTranslate2 TransformerBase / TransformerBig):
 * both stacks embed tokens × `embeddingScale` plus sinusoidal positions; each encoder layer is
 * `x + selfAttention(LN x)`, then `x + ffn(LN x)`; the encoder ends in a LayerNorm
 * (`encoder_hidden_states`). Each decoder layer adds causal self-attention, then cross-attention
 * whose queries come from the decoder and keys and values from the encoder output, then the
 * feed-forward block; a final LayerNorm and the output projection (with bias) give `logits`
 * [batch, tgt, targetVocab] at every target position. The whole target runs at once (teacher
 * forcing); `buildCachedDecoderGraph` is the incremental decoder with a KV cache. Padding: right padding in both masks (positions count from
 * the first token); padded source keys get no attention, a target query sees real earlier targets.
 */
export function buildTransformerGraph(
  weights: EncoderDecoderWeights,
  options: EncoderDecoderGraphOptions = {},
): EncoderDecoderGraph {
  const config = weights.config;
  const shapes = encoderDecoderTapShapes({
    ...config,
    encoderFfn: config.ffnSize,
    decoderFfn: config.ffnSize,
  });
  checkEncoderDecoderGraphOptions(options, shapes);
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext(
    { config: contextConfig(config), tensors: weights.tensors },
    dataType,
    "transformer",
  );
  const g = ctx.builder;
  const d = config.hiddenSize;
  const { sourceTokens, sourceMask, targetTokens, targetMask } = fullGraphInputs(
    ctx,
    d,
    options.input === "embeds",
  );
  const eps = config.layerNormEps;
  // Value zeroing: one mask input per attention, [batch, heads, keys], declared only when asked.
  const valueMask = (kind: AttentionKind, layer: number): { valueMask?: string } =>
    options.valueZeroing
      ? {
          valueMask: g.input(kindValueMaskName(kind, layer), dataType, [
            "batch",
            config.numHeads,
            kind === "decoder" ? "tgt" : "src",
          ]),
        }
      : {};

  // Which keys a query may see. Source keys: real tokens [batch, 1, 1, src]; the encoder also lets
  // a query see itself, so a padding row is never empty. Target: causal, real, or itself.
  const shared = ctx.within("shared");
  const realSource = shared.op("Unsqueeze", [
    shared.op("Cast", [sourceMask], { to: castTo.bool }),
    shared.ints([1, 2]),
  ]);
  const sourceIndices = shared.op("Range", [
    g.constant([0n], []),
    shared.op("Gather", [shared.op("Shape", [sourceMask]), g.constant([1n], [])], { axis: 0 }),
    g.constant([1n], []),
  ]);
  const diagonal = shared.op("Equal", [
    shared.op("Unsqueeze", [sourceIndices, shared.ints([1])]),
    shared.op("Unsqueeze", [sourceIndices, shared.ints([0])]),
  ]);
  const encoderAllowed = shared.op("Or", [realSource, diagonal]);
  const decoderAllowed = attentionAllowed(shared, targetMask);

  const encoder = prefixedOutputs(ctx.within("encoder"), "encoder");
  let hidden = stackEmbeddings(encoder.within("embeddings"), config, "encoder", sourceTokens);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const layerCtx = encoder.within(`layers.${layer}`);
    const self = transformerNames.selfAttention("encoder", layer);
    const normed = layerNorm(layerCtx, hidden, self.norm, eps);
    const attended = attentionOf(layerCtx, selfAttentionHeads(layerCtx, normed, self.qkv), {
      allowed: encoderAllowed,
      layer,
      ...valueMask("encoder", layer),
    });
    const afterAttention = layerCtx.op("Add", [hidden, linear(layerCtx, attended, outLinear(self.out))]);
    hidden = ffnBlock(layerCtx, afterAttention, "encoder", layer, `residual.${layer}`);
  }
  const memory = layerNorm(
    ctx.within("encoder"),
    hidden,
    transformerNames.finalNorm("encoder"),
    eps,
    names.encoderHiddenStates,
  );

  const decoder = prefixedOutputs(ctx.within("decoder"), "decoder");
  hidden = stackEmbeddings(decoder.within("embeddings"), config, "decoder", targetTokens);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const layerCtx = decoder.within(`layers.${layer}`);
    const self = transformerNames.selfAttention("decoder", layer);
    const normed = layerNorm(layerCtx, hidden, self.norm, eps);
    const attended = attentionOf(layerCtx, selfAttentionHeads(layerCtx, normed, self.qkv), {
      allowed: decoderAllowed,
      layer,
      ...valueMask("decoder", layer),
    });
    const afterSelf = layerCtx.op("Add", [hidden, linear(layerCtx, attended, outLinear(self.out))]);
    const crossCtx = prefixedOutputs(ctx.within(`decoder/layers.${layer}/cross`), "cross");
    const cross = transformerNames.crossAttention(layer);
    const crossNormed = layerNorm(crossCtx, afterSelf, cross.norm, eps);
    const crossAttended = attentionOf(
      crossCtx,
      {
        queries: crossAttentionQueries(crossCtx, crossNormed, cross.query),
        ...crossAttentionKeysValues(crossCtx, memory, cross.kv),
      },
      { allowed: realSource, layer, ...valueMask("cross", layer) },
    );
    const afterCross = layerCtx.op("Add", [afterSelf, linear(crossCtx, crossAttended, outLinear(cross.out))]);
    hidden = ffnBlock(layerCtx, afterCross, "decoder", layer, `residual.${layer}`);
  }
  const logits = decoderLogits(ctx, hidden, eps, names.logits);

  const outputNames = [logits, ...new Set(options.taps ?? [])];
  g.output(logits, dataType, ["batch", "tgt", config.targetVocabSize]);
  for (const tap of outputNames.slice(1)) g.output(tap, dataType, shapes.get(tap)!);
  const model = g.build();
  model.metadata = {
    "tokenscope.architecture": config.architecture,
    "tokenscope.encoderDecoder": "true",
    "tokenscope.input": options.input === "embeds" ? "embeds" : "ids",
    "tokenscope.dataType": dataType,
  };
  return { model, config, dataType, inputNames: model.graph.inputs.map((value) => value.name), outputNames };
}
