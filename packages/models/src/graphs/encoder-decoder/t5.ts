import { TokenscopeError } from "@tokenscope/core";
import type { WeightTensor } from "../../weights/types.ts";
import { attentionAllowed } from "../blocks/attention-mask.ts";
import { createGraphContext } from "../context.ts";
import { fullGraphInputs } from "./full-graph-inputs.ts";
import { checkEncoderDecoderGraphOptions, encoderDecoderTapShapes } from "./graph-options.ts";
import { lengthOf, realKeys, t5ContextConfig, t5Embeddings, t5Logits } from "./t5-blocks.ts";
import type { T5Config } from "./t5-config.ts";
import { t5CrossKeysValues, t5DecoderBias, t5DecoderLayer, t5EncoderStack } from "./t5-stacks.ts";
import { type AttentionKind, kindValueMaskName, kindValuesName } from "./tensor-names.ts";
import type { EncoderDecoderGraph, EncoderDecoderGraphOptions } from "./types.ts";

/** Weights of a T5 model, fp32, under Hugging Face's tensor names (`t5Names`). */
export interface T5Weights {
  config: T5Config;
  tensors: Map<string, WeightTensor>;
}

/** A built T5 graph: as {@link EncoderDecoderGraph}, with the T5 config. */
export type T5Graph = Omit<EncoderDecoderGraph, "config"> & { config: T5Config };

function _invalid(message: string, hint: string, details: Record<string, unknown> = {}): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/**
 * The graph of a Hugging Face T5 encoder-decoder (T5, T5 v1.1, flan-t5), with the inputs, outputs
 * and tap names of `buildTransformerGraph`. Both stacks embed tokens with `shared.weight`, unscaled
 * and without positions (fed `inputs_embeds` are those rows); every layer is pre-norm with T5's RMS
 * norm, `x + f(norm x)`. Self-attention scores are unscaled dot products plus a learned relative
 * position bias (buckets of key − query: bidirectional in the encoder, past-only in the decoder),
 * whose table only block 0 of each stack holds and every layer reuses; cross-attention has no bias.
 * The feed-forward block is `wo(relu(wi x))` or gated (`wo(act(wi_0 x) * wi_1 x)`, flan-t5). A
 * final norm per stack; the output head is the shared table after × `hiddenSize ** -0.5` when tied,
 * `lm_head.weight` when not, giving `logits` [batch, tgt, vocab] at every target position (teacher
 * forcing). Padding: right padding in both masks; padded source keys get no attention, a target
 * query sees real earlier targets. `t5-cached-decoder.ts` holds the incremental decoder.
 */
export function buildT5Graph(weights: T5Weights, options: EncoderDecoderGraphOptions = {}): T5Graph {
  const { config, tensors } = weights;
  const shapes = encoderDecoderTapShapes({
    ...config,
    encoderFfn: config.ffnSize,
    decoderFfn: config.ffnSize,
  });
  checkEncoderDecoderGraphOptions(options, shapes);
  const dataType = options.dataType ?? "float32";
  const ctx = createGraphContext({ config: t5ContextConfig(config), tensors }, dataType, "t5");
  const g = ctx.builder;
  const d = config.hiddenSize;
  const { sourceTokens, sourceMask, targetTokens, targetMask } = fullGraphInputs(
    ctx,
    d,
    options.input === "embeds",
  );
  // Value zeroing: one mask input per attention, [batch, heads, keys], declared in the order the
  // stacks read them (encoder layers, then decoder self and cross per layer), only when asked.
  const valueMask = (kind: AttentionKind, layer: number): string | undefined =>
    options.valueZeroing
      ? g.input(kindValueMaskName(kind, layer), dataType, [
          "batch",
          config.numHeads,
          kind === "decoder" ? "tgt" : "src",
        ])
      : undefined;

  const memory = t5EncoderStack(ctx, config, sourceTokens, sourceMask, valueMask);

  const shared = ctx.within("decoder/shared");
  const inputs = {
    selfAllowed: attentionAllowed(shared, targetMask),
    selfBias: t5DecoderBias(shared, config, g.constant([0n], []), lengthOf(shared, targetMask)),
    crossAllowed: realKeys(shared, sourceMask),
    valueMask,
  };
  const decoder = ctx.within("decoder");
  let hidden = t5Embeddings(decoder, "decoder", targetTokens);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const cross = t5CrossKeysValues(ctx.within(`decoder/layers.${layer}/cross`), config, memory, layer, {
      value: kindValuesName("cross", layer),
    });
    hidden = t5DecoderLayer(ctx, config, hidden, layer, inputs, cross);
  }
  const logits = t5Logits(ctx, config, hidden);

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
