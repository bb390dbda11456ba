import {
  type AttentionStack,
  assertCapabilities,
  type DenseTensor,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type TensorData,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { checkAttentionBudget } from "./memory-budget.ts";

/**
 * The attention probabilities of one sequence, for the tapped layers. A decoder-only model's are in
 * `weights`; an encoder-decoder's in `encoderDecoder` (`weights` empty), read through the same
 * row positions by {@link attentionAt}.
 */
export interface AttentionMaps {
  /** Row length (source plus target tokens). */
  length: number;
  heads: number;
  /** The model layer of each tapped map, in order (decoder layers of an encoder-decoder). */
  layers: number[];
  /** Per tapped layer, [heads, length, length] row-major (batch row 0). */
  weights: TensorData[];
  encoderDecoder?: EncoderDecoderMaps;
}

/**
 * An encoder-decoder's maps, each in its own positions (source 0..S−1; decoder 0..D−1, position j
 * reading the start token at j = 0 and target token j − 1 after it), per tapped layer, row-major.
 */
export interface EncoderDecoderMaps {
  sourceLength: number;
  /** D: the start token and the target tokens. */
  decoderLength: number;
  /** Cross-attention [heads, D, S] of each of `AttentionMaps.layers`. */
  cross: TensorData[];
  /** Decoder self-attention [heads, D, D] of each of `AttentionMaps.layers`. */
  decoder: TensorData[];
  /** The encoder layers of `encoder`, in order (empty unless asked). */
  encoderLayers: number[];
  /** Encoder self-attention [heads, S, S] of each of `encoderLayers`. */
  encoder: TensorData[];
}

/**
 * The attention weight of `query` to `key` (row positions) in tapped layer `layerIndex` (an index
 * into `layers`), head `head`. On an encoder-decoder the query is a decoder row position (sourceLength
 * − 1 + j reads decoder position j, as a decoder-only row's logits) and the key a source position
 * (cross-attention: the source attribution) or a target position (decoder self-attention to the
 * decoder position that reads that target token).
 */
export function attentionAt(
  maps: AttentionMaps,
  layerIndex: number,
  head: number,
  query: number,
  key: number,
): number {
  const split = maps.encoderDecoder;
  if (!split) return maps.weights[layerIndex]![(head * maps.length + query) * maps.length + key]!;
  const { sourceLength: s, decoderLength: d } = split;
  const row = head * d + query - (s - 1);
  return key < s
    ? split.cross[layerIndex]![row * s + key]!
    : split.decoder[layerIndex]![row * d + key - (s - 1)]!;
}

/** The encoder self-attention weight of source `query` to source `key` in `encoderLayers[layerIndex]`, head `head`. */
export function encoderAttentionAt(
  split: EncoderDecoderMaps,
  layerIndex: number,
  head: number,
  query: number,
  key: number,
): number {
  const s = split.sourceLength;
  return split.encoder[layerIndex]![(head * s + query) * s + key]!;
}

/** Capabilities every attention method needs. */
export const attentionCapabilities = ["forward", "taps.attention"] as const;

/**
 * Attention maps of every sequence of `context` for `layers`: one forward
 * pass of the full sequence (source then target) per sequence. The model is
 * causal, so the rows of this one pass are exactly what a pass over each
 * step's prefix would give: every step is served by it. Throws `INVALID_INPUT`
 * before any call when the longest sequence's row needs more than the memory
 * budget (a row is never split along the sequence).
 */
export async function attentionMaps(
  context: MethodContext<unknown>,
  layers: number[],
  methodId: string,
  /** Encoder-decoder models: the encoder layers whose self-attention is read as well (none by default). */
  encoderLayers: number[] = [],
): Promise<AttentionMaps[]> {
  const { model } = context;
  assertCapabilities(model, attentionCapabilities, `Method "${methodId}"`);
  // The longest sequence first: a run that cannot fit stops before its first call, not half way.
  if (layers.length > 0) checkAttentionBudget(context, layers.length, methodId);
  const maps: AttentionMaps[] = [];
  for (const [index, sequence] of context.sequences.entries()) {
    throwIfAborted(context.signal);
    maps.push(
      context.model.info.encoderDecoder
        ? await encoderDecoderMaps(context, sequence, layers, encoderLayers, methodId)
        : await sequenceMaps(context, sequence, layers, methodId),
    );
    context.onProgress?.({ phase: methodId, completed: index + 1, total: context.sequences.length });
  }
  return maps;
}

async function sequenceMaps(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  layers: number[],
  methodId: string,
): Promise<AttentionMaps> {
  const ids = decoderInputIds(sequence);
  const length = ids.length;
  if (layers.length === 0) return { length, heads: context.model.info.numHeads, layers, weights: [] };
  const { taps } = await context.model.forward!({
    inputs: { ids: [ids] },
    // Only the last position's logits: attention methods read taps, and full logits cost vocab × length.
    positions: [[length - 1]],
    taps: { attention: true, layers },
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const tapped = checkedTaps(context, taps?.attention, layers, [length, length], methodId);
  return { length, heads: tapped[0]!.dims[1]!, layers, weights: tapped.map((tensor) => tensor.data) };
}

/**
 * An encoder-decoder's maps of one sequence: a forward pass per part read (cross-attention, decoder
 * self-attention, and the encoder's when `encoderLayers` is not empty), each in its own positions.
 */
async function encoderDecoderMaps(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  layers: number[],
  encoderLayers: number[],
  methodId: string,
): Promise<AttentionMaps> {
  const ids = decoderInputIds(sequence);
  const sourceLength = sequence.source.length;
  const decoderLength = sequence.target.length + 1;
  const heads = context.model.info.numHeads;
  const tap = async (stack: AttentionStack, tapped: number[], dims: [number, number]) => {
    if (tapped.length === 0) return [];
    const { taps } = await context.model.forward!({
      inputs: { ids: [ids], sourceLengths: [sourceLength] },
      positions: [[ids.length - 1]],
      taps: { attention: true, layers: tapped, stack },
      ...(context.signal ? { signal: context.signal } : {}),
    });
    return checkedTaps(context, taps?.attention, tapped, dims, methodId).map((tensor) => tensor.data);
  };
  return {
    length: ids.length,
    heads,
    layers,
    weights: [],
    encoderDecoder: {
      sourceLength,
      decoderLength,
      cross: await tap("cross", layers, [decoderLength, sourceLength]),
      decoder: await tap("decoder", layers, [decoderLength, decoderLength]),
      encoderLayers,
      encoder: await tap("encoder", encoderLayers, [sourceLength, sourceLength]),
    },
  };
}

/** The tapped maps, checked to be one per layer, [1, heads, queries, keys]. */
function checkedTaps(
  context: MethodContext<unknown>,
  tapped: DenseTensor[] | undefined,
  layers: number[],
  [queries, keys]: [number, number],
  methodId: string,
): DenseTensor[] {
  if (!tapped || tapped.length !== layers.length) {
    throw new TokenscopeError(
      "MISSING_CAPABILITY",
      `${methodId}: model "${context.model.info.id}" returned ${tapped?.length ?? 0} attention maps for ${layers.length} requested layers.`,
      {
        hint: "The model declares taps.attention but did not return the tapped layers; report this as a model bug.",
      },
    );
  }
  const heads = tapped[0]!.dims[1]!;
  for (const tensor of tapped) {
    const [batch, tensorHeads, tensorQueries, tensorKeys] = tensor.dims;
    if (batch !== 1 || tensorHeads !== heads || tensorQueries !== queries || tensorKeys !== keys) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${methodId}: an attention map has dims [${tensor.dims}], expected [1, ${heads}, ${queries}, ${keys}].`,
        { hint: "Attention taps must be [batch, heads, queries, keys]." },
      );
    }
  }
  return tapped;
}
