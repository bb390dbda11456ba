import {
  type AttentionStack,
  type Intervention,
  type TapRequest,
  type Taps,
  TokenscopeError,
} from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import {
  kindAttentionProbsName,
  kindValueMaskName,
  kindValuesName,
  stackMlpName,
  stackResidualName,
} from "../graphs/encoder-decoder/tensor-names.ts";
import { denseTensor } from "../language-model/feeds.ts";

/** The shape of an encoder-decoder that taps and value masks are checked against. */
export interface EncoderDecoderLayout {
  encoderLayers: number;
  decoderLayers: number;
  numHeads: number;
}

/** The graph outputs a {@link TapRequest} reads, per kind of tensor, one per requested layer. */
export interface TapNames {
  /** The graph's tap outputs, sorted (the graph variant's key): every layer of each kind asked. */
  names: string[];
  byKind: Partial<Record<keyof Taps, string[]>>;
}

function invalid(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

function layersOf(stack: AttentionStack, layout: EncoderDecoderLayout): number {
  return stack === "encoder" ? layout.encoderLayers : layout.decoderLayers;
}

function checkStack(stack: unknown, what: string): AttentionStack {
  if (stack === undefined) return "decoder";
  if (stack !== "encoder" && stack !== "decoder" && stack !== "cross") {
    throw invalid(
      `${what}: stack must be "encoder", "decoder" or "cross", got ${JSON.stringify(stack)}.`,
      'Pick the part to read: "encoder" (source self-attention), "decoder" (target self-attention) or "cross" (target over source).',
    );
  }
  return stack;
}

function checkLayer(layer: unknown, count: number, stack: AttentionStack, what: string): number {
  if (!Number.isInteger(layer) || (layer as number) < 0 || (layer as number) >= count) {
    throw invalid(
      `${what}: layer ${String(layer)} is outside the ${stack} stack's layers [0, ${count}).`,
      `Pick layers from 0 to ${count - 1}.`,
    );
  }
  return layer as number;
}

/**
 * The graph outputs of `taps`: attention probabilities and values of one part (`stack`, default the
 * decoder), residual stream and MLP activations of the encoder or decoder, for `layers` (all of that
 * stack when absent).
 */
export function forwardTaps(taps: TapRequest, layout: EncoderDecoderLayout): TapNames {
  const stack = checkStack(taps.stack, "taps");
  const count = layersOf(stack, layout);
  if (taps.layers !== undefined && !Array.isArray(taps.layers)) {
    throw invalid(
      "taps: layers must be a list of layer indices.",
      "Pass layers: [0, 2], or leave it out for all.",
    );
  }
  const layers = (taps.layers ?? Array.from({ length: count }, (_, layer) => layer)).map((layer) =>
    checkLayer(layer, count, stack, "taps"),
  );
  if (stack === "cross" && (taps.residual || taps.mlp)) {
    throw invalid(
      'taps: cross-attention has attention and values only; the residual stream and MLP belong to a stack ("encoder" or "decoder").',
      'Tap residual or mlp with stack "decoder" (the decoder layers that hold the cross-attention) or "encoder".',
    );
  }
  const byKind: TapNames["byKind"] = {};
  const names = new Set<string>();
  // The graph taps every layer of the stack for each kind asked, as the decoder-only graphs do, so
  // that a model builds one session per kinds asked, not one per layer selection.
  const want = (kind: keyof Taps, name: (layer: number) => string) => {
    if (!taps[kind]) return;
    byKind[kind] = layers.map(name);
    for (let layer = 0; layer < count; layer++) names.add(name(layer));
  };
  want("attention", (layer) => kindAttentionProbsName(stack, layer));
  want("values", (layer) => kindValuesName(stack, layer));
  if (stack !== "cross") {
    want("residual", (layer) => stackResidualName(stack, layer));
    want("mlp", (layer) => stackMlpName(stack, layer));
  }
  return { names: [...names].sort(), byKind };
}

/** The tapped tensors of a run's outputs. */
export function readTaps(taps: TapNames, outputs: Record<string, RuntimeTensor>): Taps {
  const tapped: Taps = {};
  for (const [kind, names] of Object.entries(taps.byKind) as Array<[keyof Taps, string[]]>) {
    tapped[kind] = names.map((name) => denseTensor(outputs[name]!));
  }
  return tapped;
}

/**
 * The value-mask feeds `{kind}.value_mask.{layer}` [batch, heads, keys] of every attention of the
 * model: ones, with 0 where a `zeroValues` intervention zeroes a key (source positions for the
 * encoder and cross-attention, decoder positions for the decoder's self-attention).
 */
export function valueMaskFeeds(
  zeroings: readonly Intervention[],
  layout: EncoderDecoderLayout,
  rows: ReadonlyArray<{ sourceLength: number; decoderLength: number }>,
  widths: { sourceWidth: number; decoderWidth: number },
): Record<string, RuntimeTensor> {
  const heads = layout.numHeads;
  const batch = rows.length;
  const keysOf = (stack: AttentionStack) => (stack === "decoder" ? widths.decoderWidth : widths.sourceWidth);
  const feeds: Record<string, RuntimeTensor> = {};
  for (const stack of ["encoder", "decoder", "cross"] as const) {
    for (let layer = 0; layer < layersOf(stack, layout); layer++) {
      feeds[kindValueMaskName(stack, layer)] = {
        dataType: "float32",
        dims: [batch, heads, keysOf(stack)],
        data: new Float32Array(batch * heads * keysOf(stack)).fill(1),
      };
    }
  }
  for (const change of zeroings) {
    if (change.kind !== "zeroValues") continue;
    const stack = checkStack(change.stack, "zeroValues");
    const layer = checkLayer(change.layer, layersOf(stack, layout), stack, "zeroValues");
    const mask = feeds[kindValueMaskName(stack, layer)]!.data as Float32Array;
    const keys = keysOf(stack);
    if (
      change.batch !== undefined &&
      (!Number.isInteger(change.batch) || change.batch < 0 || change.batch >= batch)
    ) {
      throw invalid(
        `zeroValues: batch row ${change.batch} is outside the batch [0, ${batch}).`,
        "Leave batch out to zero every row, or name one of the rows passed.",
      );
    }
    if (!Array.isArray(change.positions) || (change.heads !== undefined && !Array.isArray(change.heads))) {
      throw invalid(
        "zeroValues: positions (and heads, when given) must be lists of indices.",
        "Pass positions: [3] and, optionally, heads: [0, 1].",
      );
    }
    const headList = change.heads ?? Array.from({ length: heads }, (_, h) => h);
    const badHead = headList.find((head) => !Number.isInteger(head) || head < 0 || head >= heads);
    if (badHead !== undefined) {
      throw invalid(
        `zeroValues: head ${badHead} is outside the model's heads [0, ${heads}).`,
        `Pick heads from 0 to ${heads - 1}, or leave heads out for all.`,
      );
    }
    const batchRows = change.batch === undefined ? rows.map((_, b) => b) : [change.batch];
    for (const b of batchRows) {
      const length = stack === "decoder" ? rows[b]!.decoderLength : rows[b]!.sourceLength;
      for (const position of change.positions) {
        if (!Number.isInteger(position) || position < 0 || position >= length) {
          throw invalid(
            `zeroValues: row ${b} has ${stack === "decoder" ? "decoder" : "source"} positions [0, ${length}), not ${position}.`,
            stack === "decoder"
              ? "Decoder positions count from the start token (0) through the target."
              : "Source positions count the source tokens from 0.",
          );
        }
        for (const head of headList) mask[(b * heads + head) * keys + position] = 0;
      }
    }
  }
  return feeds;
}
