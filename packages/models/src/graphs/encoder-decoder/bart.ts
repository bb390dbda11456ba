import { TokenscopeError } from "@tokenscope/core";
import type { WeightTensor } from "../../weights/types.ts";
import { createGraphContext } from "../context.ts";
import {
  bartAttentionCore,
  bartContextConfig,
  bartEmbeddings,
  bartEncoderStack,
  bartLinear,
  bartLogits,
  bartMasks,
  ffnSublayer,
  projectHeads,
  residualSublayer,
  selfAttentionSublayer,
  stackOutput,
} from "./bart-blocks.ts";
import type { BartConfig } from "./bart-config.ts";
import { bartNames } from "./bart-names.ts";
import { fullGraphInputs } from "./full-graph-inputs.ts";
import { checkEncoderDecoderGraphOptions, encoderDecoderTapShapes } from "./graph-options.ts";
import { prefixedOutputs } from "./renamed-outputs.ts";
import { type AttentionKind, kindValueMaskName, encoderDecoderTensorNames as names } from "./tensor-names.ts";
import type { EncoderDecoderGraph, EncoderDecoderGraphOptions } from "./types.ts";

/** Weights of a BART-family model, fp32, under Hugging Face's tensor names (`bartNames`). */
export interface BartWeights {
  config: BartConfig;
  tensors: Map<string, WeightTensor>;
}

/** A built BART-family graph: as {@link EncoderDecoderGraph}, with the BART config. */
export type BartGraph = Omit<EncoderDecoderGraph, "config"> & { config: BartConfig };

function invalid(message: string, hint: string, details: Record<string, unknown> = {}): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

function checkConfig(config: BartConfig): void {
  const { hiddenSize, numHeads, headDim } = config;
  if (headDim * numHeads !== hiddenSize) {
    throw invalid(
      `headDim × numHeads (${headDim} × ${numHeads}) must equal hiddenSize (${hiddenSize}).`,
      "Build the config with bartConfigFromHf.",
      { hiddenSize, numHeads, headDim },
    );
  }
  if (config.positions === "sinusoidal" && hiddenSize % 2 !== 0) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `Sinusoidal positions need an even d_model, got ${hiddenSize}.`,
      { details: { hiddenSize } },
    );
  }
}

/**
 * The graph of a Hugging Face BART-family encoder-decoder (BART, mBART, Marian / opus-mt), with
 * the inputs, outputs and tap names of `buildTransformerGraph`. Each stack embeds tokens (× sqrt(d)
 * when `scaleEmbedding`; fed `inputs_embeds` are the unscaled table rows) plus learned positions
 * (row p + 2) or Marian's sinusoids, then `layernorm_embedding` (BART, mBART). Layers are
 * post-norm (BART, Marian: `LN(x + f(x))`) or pre-norm with a final norm per stack (mBART). Each
 * decoder layer has causal self-attention, cross-attention over `encoder_hidden_states`, and the
 * feed-forward block; the output head (the shared table when tied) plus `final_logits_bias` gives
 * `logits` [batch, tgt, vocab] at every target position (teacher forcing). Padding: right padding
 * in both masks; padded source keys get no attention, a target query sees real earlier targets.
 * `bart-cached-decoder.ts` holds the incremental decoder with a KV cache.
 */
export function buildBartGraph(weights: BartWeights, options: EncoderDecoderGraphOptions = {}): BartGraph {
  const { config, tensors } = weights;
  checkConfig(config);
  const shapes = encoderDecoderTapShapes(config);
  checkEncoderDecoderGraphOptions(options, shapes);
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext(
    { config: bartContextConfig(config), tensors },
    dataType,
    config.architecture,
  );
  const g = ctx.builder;
  const d = config.hiddenSize;
  const { sourceTokens, sourceMask, targetTokens, targetMask } = fullGraphInputs(
    ctx,
    d,
    options.input === "embeds",
  );
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
  const masks = bartMasks(ctx.within("shared"), sourceMask, targetMask);

  const memory = bartEncoderStack(ctx, config, tensors, sourceTokens, masks.encoderAllowed, (layer) =>
    valueMask("encoder", layer),
  );

  const decoder = prefixedOutputs(ctx.within("decoder"), "decoder");
  let hidden = bartEmbeddings(decoder.within("embeddings"), config, tensors, "decoder", targetTokens);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const layerCtx = decoder.within(`layers.${layer}`);
    const afterSelf = selfAttentionSublayer(layerCtx, config, hidden, "decoder", layer, {
      allowed: masks.decoderAllowed,
      ...valueMask("decoder", layer),
    });
    const crossCtx = prefixedOutputs(ctx.within(`decoder/layers.${layer}/cross`), "cross");
    const cross = bartNames.crossAttention(layer);
    const afterCross = residualSublayer(layerCtx, config, afterSelf, cross.norm, (input) => {
      const heads = {
        queries: projectHeads(crossCtx, input, cross.query),
        keys: projectHeads(crossCtx, memory, cross.key),
        values: projectHeads(crossCtx, memory, cross.value),
      };
      const attended = bartAttentionCore(crossCtx, heads, {
        allowed: masks.realSource,
        layer,
        ...valueMask("cross", layer),
      });
      return bartLinear(crossCtx, attended, cross.out);
    });
    hidden = ffnSublayer(layerCtx, config, afterCross, "decoder", layer);
  }
  const decoderCtx = ctx.within("decoder");
  const logits = bartLogits(
    ctx,
    config,
    tensors,
    stackOutput(decoderCtx, config, "decoder", hidden),
    names.logits,
  );

  const outputNames = [logits, ...new Set(options.taps ?? [])];
  g.output(logits, dataType, ["batch", "tgt", config.vocabSize]);
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
