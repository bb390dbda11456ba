import {
  assertCapabilities,
  decoderInputIds,
  type MethodContext,
  type MethodSequence,
  type TensorData,
  TokenscopeError,
  throwIfAborted,
} from "@tokenscope/core";
import { checkAttentionBudget } from "./memory-budget.ts";

/** The attention probabilities of one sequence, for the tapped layers. */
export interface AttentionMaps {
  /** Decoder length (source plus target tokens). */
  length: number;
  heads: number;
  /** The model layer of each tapped map, in order. */
  layers: number[];
  /** Per tapped layer, [heads, length, length] row-major (batch row 0). */
  weights: TensorData[];
}

/** The attention weight of `query` to `key` in tapped layer `layerIndex` (an index into `layers`), head `head`. */
export function attentionAt(
  maps: AttentionMaps,
  layerIndex: number,
  head: number,
  query: number,
  key: number,
): number {
  return maps.weights[layerIndex]![(head * maps.length + query) * maps.length + key]!;
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
): Promise<AttentionMaps[]> {
  const { model } = context;
  assertCapabilities(model, attentionCapabilities, `Method "${methodId}"`);
  // The longest sequence first: a run that cannot fit stops before its first call, not half way.
  if (layers.length > 0) checkAttentionBudget(context, layers.length, methodId);
  const maps: AttentionMaps[] = [];
  for (const [index, sequence] of context.sequences.entries()) {
    throwIfAborted(context.signal);
    maps.push(await sequenceMaps(context, sequence, layers, methodId));
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
  const tapped = taps?.attention;
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
    const [batch, tensorHeads, queries, keys] = tensor.dims;
    if (batch !== 1 || tensorHeads !== heads || queries !== length || keys !== length) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `${methodId}: an attention map has dims [${tensor.dims}], expected [1, ${heads}, ${length}, ${length}].`,
        { hint: "Attention taps must be [batch, heads, seq, seq]." },
      );
    }
  }
  return { length, heads, layers, weights: tapped.map((tensor) => tensor.data) };
}
