import { quoteForMessage, TokenscopeError } from "@tokenscope/core";
import type { Dim } from "@tokenscope/tensor-backends";
import {
  kindAttentionProbsName,
  kindValuesName,
  encoderDecoderTensorNames as names,
  stackEmbeddingsName,
  stackMlpName,
  stackResidualName,
} from "./tensor-names.ts";
import type { EncoderDecoderGraphOptions } from "./types.ts";

/** The sizes every encoder-decoder family's tap shapes are made of. */
export interface TapDimensions {
  hiddenSize: number;
  numHeads: number;
  headDim: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderFfn: number;
  decoderFfn: number;
}

/**
 * Shapes of every tensor an encoder-decoder graph can tap, by its stable name (`tensor-names.ts`),
 * for the output declaration: the same names in every family.
 */
export function encoderDecoderTapShapes(dims: TapDimensions): Map<string, Dim[]> {
  const { hiddenSize: d, numHeads: heads, headDim } = dims;
  const shapes = new Map<string, Dim[]>([[names.encoderHiddenStates, ["batch", "src", d]]]);
  for (const stack of ["encoder", "decoder"] as const) {
    const seq = stack === "encoder" ? "src" : "tgt";
    const layers = stack === "encoder" ? dims.encoderLayers : dims.decoderLayers;
    const ffn = stack === "encoder" ? dims.encoderFfn : dims.decoderFfn;
    shapes.set(stackEmbeddingsName(stack), ["batch", seq, d]);
    for (let layer = 0; layer < layers; layer++) {
      shapes.set(stackResidualName(stack, layer), ["batch", seq, d]);
      shapes.set(stackMlpName(stack, layer), ["batch", seq, ffn]);
      shapes.set(kindAttentionProbsName(stack, layer), ["batch", heads, seq, seq]);
      shapes.set(kindValuesName(stack, layer), ["batch", heads, seq, headDim]);
      if (stack === "decoder") {
        shapes.set(kindAttentionProbsName("cross", layer), ["batch", heads, "tgt", "src"]);
        shapes.set(kindValuesName("cross", layer), ["batch", heads, "src", headDim]);
      }
    }
  }
  return shapes;
}

function invalid(message: string, hint: string, details: Record<string, unknown> = {}): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/** Refuses, with INVALID_INPUT, graph options no encoder-decoder builder takes, and taps not in `known`. */
export function checkEncoderDecoderGraphOptions(
  options: EncoderDecoderGraphOptions,
  known: Map<string, Dim[]>,
): void {
  if (options.input !== undefined && options.input !== "ids" && options.input !== "embeds") {
    throw invalid(
      `input must be "ids" or "embeds", got ${String(options.input)}.`,
      'Pass input: "ids" or "embeds".',
    );
  }
  if (options.dataType !== undefined && options.dataType !== "float32" && options.dataType !== "float64") {
    throw invalid(
      `dataType must be "float32" or "float64", got ${String(options.dataType)}.`,
      'Pass dataType: "float32" (default) or "float64" (gradient checks).',
    );
  }
  for (const tap of options.taps ?? []) {
    if (!known.has(tap)) {
      throw invalid(
        `taps names ${quoteForMessage(tap)}, which this graph does not have.`,
        "Tap names are encoder_hidden_states, {encoder|decoder}.embeddings, {encoder|decoder}.residual.{layer}, {encoder|decoder}.mlp.{layer}, {encoder|decoder|cross}.attention_probs.{layer} and .values.{layer}.",
        { tap },
      );
    }
  }
}
