import type { AttentionStack, DenseTensor, Intervention, LanguageModel } from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";

/** The residual stream of a batch of rows after each tapped layer. */
export interface BatchResiduals {
  /** [batch, length, hidden] by model layer. */
  byLayer: Map<number, DenseTensor>;
}

/**
 * One forward call over `rows` (right-padded and masked when ragged: a causal
 * model's states at a row's own positions never see the padding) with
 * `interventions`, returning the residual stream after each of `layers` and
 * asking for the logits of one position only. Encoder-decoder rows take their
 * `sourceLengths` and the stack whose residual stream is read (its own positions).
 */
export async function batchResiduals(
  model: LanguageModel,
  rows: readonly (readonly number[])[],
  layers: readonly number[],
  interventions: Intervention[],
  signal: AbortSignal | undefined,
  encoderDecoder?: { sourceLengths: number[]; stack: Exclude<AttentionStack, "cross"> },
): Promise<BatchResiduals> {
  const length = Math.max(...rows.map((row) => row.length));
  const ids = rows.map((row) => {
    const padded = [...row];
    while (padded.length < length) padded.push(row[row.length - 1]!);
    return padded;
  });
  const ragged = rows.some((row) => row.length !== length);
  const attentionMask = ragged
    ? rows.map((row) => Array.from({ length }, (_, position) => (position < row.length ? 1 : 0)))
    : undefined;
  const { taps } = await model.forward!({
    inputs: {
      ids,
      ...(attentionMask ? { attentionMask } : {}),
      ...(encoderDecoder ? { sourceLengths: encoderDecoder.sourceLengths } : {}),
    },
    positions: rows.map((row) => [row.length - 1]),
    taps: { residual: true, layers: [...layers], ...(encoderDecoder ? { stack: encoderDecoder.stack } : {}) },
    ...(interventions.length > 0 ? { interventions } : {}),
    ...(signal ? { signal } : {}),
  });
  const residual = taps?.residual;
  if (!residual || residual.length !== layers.length) {
    throw new TokenscopeError(
      "MISSING_CAPABILITY",
      `Model "${model.info.id}" returned ${residual?.length ?? 0} residual taps for ${layers.length} requested layers.`,
      {
        hint: "The model declares taps.residual but did not return the tapped layers; report this as a model bug.",
      },
    );
  }
  return { byLayer: new Map(layers.map((layer, index) => [layer, residual[index]!])) };
}

/** `items` in consecutive chunks of at most `size` (the rows of one forward call each). */
export function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
