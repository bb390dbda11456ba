import { type DenseTensor, TokenscopeError } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { encoderDecoderTensorNames as names } from "../graphs/encoder-decoder/tensor-names.ts";

/** The two token tables of an encoder-decoder, rows unscaled as `inputs_embeds` takes them. */
export interface EncoderDecoderEmbeddingTables {
  hiddenSize: number;
  /** [sourceVocab, hidden] */
  source: Float32Array;
  /** [targetVocab, hidden] */
  target: Float32Array;
  /** Decoder id of `<s>`, the decoder's first input (not part of a row). */
  startId: number;
}

function invalid(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

/** A row's real length: right padding, so the mask's count of ones (the whole row without one). */
export function realLength(width: number, mask: readonly number[] | undefined): number {
  return mask ? mask.reduce((sum, flag) => sum + (flag ? 1 : 0), 0) : width;
}

/** Checks a row's source length against its real length (the error forward passes give). */
export function checkSourceLength(sourceLength: number, length: number, row: number): void {
  if (!Number.isInteger(sourceLength) || sourceLength < 1 || sourceLength > length) {
    throw invalid(
      `Row ${row}: sourceLength ${sourceLength} is not between 1 and the row's ${length} tokens.`,
      "Give each row's source length: its first sourceLength ids are the source, the rest the target.",
    );
  }
}

/** The INVALID_INPUT for rows without `sourceLengths`. */
export function missingSourceLengths(what: string): TokenscopeError {
  return invalid(
    `${what} of an encoder-decoder needs sourceLengths, one per row.`,
    "Give each row's source length (core's sourceLengthsFor): its first sourceLength positions are the source, the rest the target.",
  );
}

/**
 * Embeddings [batch, L, hidden] of rows laid out [source | target]: the first `sourceLengths[b]`
 * positions from the encoder's table, the rest from the decoder's; positions past a row's real
 * length (`mask`, right padding) are zeros.
 */
export function embedEncoderDecoderRows(
  tables: EncoderDecoderEmbeddingTables,
  ids: readonly (readonly number[])[],
  sourceLengths: readonly number[] | undefined,
  mask?: readonly (readonly number[])[],
): DenseTensor<Float32Array> {
  if (!sourceLengths || sourceLengths.length !== ids.length) throw missingSourceLengths("Embedding rows");
  const hidden = tables.hiddenSize;
  const width = ids[0]?.length ?? 0;
  const sourceVocab = tables.source.length / hidden;
  const targetVocab = tables.target.length / hidden;
  const data = new Float32Array(ids.length * width * hidden);
  ids.forEach((row, b) => {
    if (row.length !== width) {
      throw invalid("Rows of a batch must have equal length.", "Pad shorter rows on the right.");
    }
    const length = realLength(width, mask?.[b]);
    const sourceLength = sourceLengths[b]!;
    checkSourceLength(sourceLength, length, b);
    for (let t = 0; t < length; t++) {
      const id = row[t]!;
      const fromSource = t < sourceLength;
      const vocab = fromSource ? sourceVocab : targetVocab;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw invalid(
          `Row ${b}: token id ${id} is outside the ${fromSource ? "source" : "target"} vocabulary [0, ${vocab}).`,
          "Source ids come from model.tokenize(source), target ids from generation or a forced target.",
        );
      }
      const table = fromSource ? tables.source : tables.target;
      data.set(table.subarray(id * hidden, (id + 1) * hidden), (b * width + t) * hidden);
    }
  });
  return { data, dims: [ids.length, width, hidden] };
}

/** Where a row's parts went in {@link splitEmbeddingFeeds}' tensors. */
export interface SplitLayout {
  sourceLengths: number[];
  /** Per row, decoder inputs: `<s>` then the row's target positions. */
  decoderLengths: number[];
  sourceWidth: number;
  decoderWidth: number;
}

function maskFeed(lengths: readonly number[], width: number): RuntimeTensor {
  const data = new BigInt64Array(lengths.length * width);
  lengths.forEach((length, b) => {
    data.fill(1n, b * width, b * width + length);
  });
  return { dataType: "int64", dims: [lengths.length, width], data };
}

/**
 * The embeds graph's feeds for rows [source | target] of `embeddings` [batch, L, hidden]: encoder
 * embeddings are row[0, S), decoder embeddings `<s>`'s (from the decoder table) then row[S, length);
 * both right-padded with zeros and masked.
 */
export function splitEmbeddingFeeds(
  tables: EncoderDecoderEmbeddingTables,
  embeddings: DenseTensor,
  sourceLengths: readonly number[] | undefined,
  mask: readonly (readonly number[])[] | undefined,
): { feeds: Record<string, RuntimeTensor>; layout: SplitLayout } {
  const [batch, width, hidden] = embeddings.dims as [number, number, number];
  if (embeddings.dims.length !== 3 || hidden !== tables.hiddenSize) {
    throw invalid(
      `Embeddings must be [batch, seq, ${tables.hiddenSize}], got [${embeddings.dims.join(", ")}].`,
      "Pass model.embed(ids, { sourceLengths }) or embeddings of that shape.",
    );
  }
  if (!sourceLengths || sourceLengths.length !== batch) throw missingSourceLengths("A forward pass");
  const lengths = Array.from({ length: batch }, (_, b) => realLength(width, mask?.[b]));
  for (const [b, length] of lengths.entries()) checkSourceLength(sourceLengths[b]!, length, b);
  const decoderLengths = lengths.map((length, b) => 1 + length - sourceLengths[b]!);
  const sourceWidth = Math.max(...sourceLengths);
  const decoderWidth = Math.max(...decoderLengths);
  const source = new Float32Array(batch * sourceWidth * hidden);
  const decoder = new Float32Array(batch * decoderWidth * hidden);
  const start = tables.target.subarray(tables.startId * hidden, (tables.startId + 1) * hidden);
  for (let b = 0; b < batch; b++) {
    const rowStart = b * width * hidden;
    const sourceLength = sourceLengths[b]!;
    source.set(
      embeddings.data.subarray(rowStart, rowStart + sourceLength * hidden),
      b * sourceWidth * hidden,
    );
    decoder.set(start, b * decoderWidth * hidden);
    decoder.set(
      embeddings.data.subarray(rowStart + sourceLength * hidden, rowStart + lengths[b]! * hidden),
      (b * decoderWidth + 1) * hidden,
    );
  }
  return {
    feeds: {
      [names.inputsEmbeds]: { dataType: "float32", dims: [batch, sourceWidth, hidden], data: source },
      [names.attentionMask]: maskFeed(sourceLengths, sourceWidth),
      [names.decoderInputsEmbeds]: {
        dataType: "float32",
        dims: [batch, decoderWidth, hidden],
        data: decoder,
      },
      [names.decoderAttentionMask]: maskFeed(decoderLengths, decoderWidth),
    },
    layout: { sourceLengths: [...sourceLengths], decoderLengths, sourceWidth, decoderWidth },
  };
}

/**
 * Row-layout gradients [batch, L, hidden] from the graph's encoder and decoder gradients: position
 * p < S is encoder position p, S + k is decoder position k + 1 (`<s>`'s gradient is dropped).
 */
export function joinSplitGradients(
  encoder: DenseTensor,
  decoder: DenseTensor,
  layout: SplitLayout,
  width: number,
  hidden: number,
): DenseTensor<Float32Array> {
  const batch = layout.sourceLengths.length;
  const data = new Float32Array(batch * width * hidden);
  for (let b = 0; b < batch; b++) {
    const sourceLength = layout.sourceLengths[b]!;
    const from = b * layout.sourceWidth * hidden;
    data.set(encoder.data.subarray(from, from + sourceLength * hidden), b * width * hidden);
    const decoderFrom = (b * layout.decoderWidth + 1) * hidden;
    const targetCount = layout.decoderLengths[b]! - 1;
    data.set(
      decoder.data.subarray(decoderFrom, decoderFrom + targetCount * hidden),
      (b * width + sourceLength) * hidden,
    );
  }
  return { data, dims: [batch, width, hidden] };
}
