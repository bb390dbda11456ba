import { type ForwardRequest, type ForwardResult, TokenscopeError, throwIfAborted } from "@tokenscope/core";
import type { RuntimeSession, RuntimeTensor } from "@tokenscope/tensor-backends";
import { encoderDecoderTensorNames as names } from "../graphs/encoder-decoder/tensor-names.ts";
import { denseTensor } from "../language-model/feeds.ts";
import {
  checkSourceLength,
  type EncoderDecoderEmbeddingTables,
  realLength,
  splitEmbeddingFeeds,
} from "./embedding-rows.ts";
import { type EncoderDecoderLayout, forwardTaps, readTaps, valueMaskFeeds } from "./taps-and-value-masks.ts";

/**
 * Which full encoder-decoder graph a forward pass runs: its inputs, the internal tensors it returns
 * (names from `encoderDecoderTensorNames`, sorted) and whether it takes value masks.
 */
export interface EncoderDecoderGraphVariant {
  input: "ids" | "embeds";
  taps: readonly string[];
  valueZeroing: boolean;
}

/** What {@link createEncoderDecoderForward} needs of its model. */
export interface EncoderDecoderForwardDeps {
  startId: number;
  /** Id written into padded source and target slots (masked out). */
  padId: number;
  sourceVocabSize: number;
  targetVocabSize: number;
  layout: EncoderDecoderLayout;
  /** The session of the full graph `variant` names (each built once, on first use). */
  session(variant: EncoderDecoderGraphVariant): Promise<RuntimeSession>;
  /** Embedding inputs: the token tables (absent: ids only). */
  embeds?: { tables: EncoderDecoderEmbeddingTables };
}

function invalid(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

function int64Rows(rows: readonly number[][], width: number, fill: number): RuntimeTensor {
  const data = new BigInt64Array(rows.length * width).fill(BigInt(fill));
  rows.forEach((row, b) => {
    row.forEach((value, t) => {
      data[b * width + t] = BigInt(value);
    });
  });
  return { dataType: "int64", dims: [rows.length, width], data };
}

/** One row split into the encoder's ids and the decoder's (`<s>` then the target before the last). */
interface SplitRow {
  source: number[];
  decoder: number[];
  sourceLength: number;
}

function splitRow(
  ids: readonly number[],
  mask: readonly number[] | undefined,
  sourceLength: number,
  deps: EncoderDecoderForwardDeps,
  row: number,
): SplitRow {
  // Rows are right-padded: the real length is the mask's count of ones.
  const length = realLength(ids.length, mask);
  checkSourceLength(sourceLength, length, row);
  const source = ids.slice(0, sourceLength);
  const target = ids.slice(sourceLength, length);
  const badSource = source.find((id) => !Number.isInteger(id) || id < 0 || id >= deps.sourceVocabSize);
  const badTarget = target.find((id) => !Number.isInteger(id) || id < 0 || id >= deps.targetVocabSize);
  if (badSource !== undefined || badTarget !== undefined) {
    throw invalid(
      `Row ${row}: token id ${badSource ?? badTarget} is outside the ${badSource !== undefined ? "source" : "target"} vocabulary.`,
      "Source ids come from model.tokenize(source), target ids from generation or a forced target.",
    );
  }
  // Decoder position j reads `<s>` (j = 0) or target j − 1 and predicts target j: row position
  // sourceLength − 1 + j, up to the row's last, whose logits predict the token after it, as in a
  // decoder-only row.
  return { source, decoder: [deps.startId, ...target], sourceLength };
}

/**
 * Forward passes of an encoder-decoder over rows laid out as a decoder-only model's, [source |
 * target] with `inputs.sourceLengths`: the first sourceLength ids of a row go to the encoder, `<s>`
 * and the target to the decoder, and position `sourceLength − 1 + t` of the row
 * is decoder position t, whose logits predict target token t — so methods written for decoder-only
 * rows (`decoderInputIds`, `stepPosition`) read the same logits. Rows may have different source
 * lengths (a removed source token); both parts are right-padded and masked. Ids, or embeddings
 * [batch, L, hidden] in the same layout when `deps.embeds` is given (the encoder reads row[0, S), the
 * decoder `<s>`'s embedding then row[S, L)). Positions before `sourceLength − 1` have no logits and
 * are refused. Taps read one part (`taps.stack`: encoder, decoder or cross-attention, in that part's
 * own positions) and `zeroValues` interventions zero value vectors of any part, through value masks
 * (see `taps-and-value-masks.ts`).
 */
export function createEncoderDecoderForward(deps: EncoderDecoderForwardDeps) {
  return async function forward(request: ForwardRequest): Promise<ForwardResult> {
    throwIfAborted(request.signal);
    const { inputs } = request;
    if (!("ids" in inputs) && !deps.embeds) {
      throw invalid(
        "This encoder-decoder takes token ids, not embeddings, in forward passes.",
        "Pass inputs.ids; methods that need embedding inputs do not run on encoder-decoder models yet.",
      );
    }
    const unsupported = (request.interventions ?? []).find((change) => change.kind !== "zeroValues");
    if (unsupported) {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        `This encoder-decoder's forward passes take zeroValues interventions only, not ${unsupported.kind}.`,
        {
          hint: "Replace embeddings by passing inputs.embeddings instead; residual replacement is not offered.",
        },
      );
    }
    const tapNames = request.taps ? forwardTaps(request.taps, deps.layout) : undefined;
    const lengths = inputs.sourceLengths;
    const batch = "ids" in inputs ? inputs.ids.length : inputs.embeddings.dims[0]!;
    if (!lengths || lengths.length !== batch) {
      throw invalid(
        "An encoder-decoder forward pass needs inputs.sourceLengths, one per row.",
        "The caller does not support encoder-decoder models yet: give each row's source length (core's sourceLengthsFor).",
      );
    }
    // Per row: its source length and how many decoder inputs (`<s>` and the target) it has.
    let rows: Array<{ sourceLength: number; decoderLength: number }>;
    let feeds: Record<string, RuntimeTensor>;
    let sourceWidth: number;
    let decoderWidth: number;
    if ("ids" in inputs) {
      const split = inputs.ids.map((ids, b) =>
        splitRow(ids, inputs.attentionMask?.[b], lengths[b]!, deps, b),
      );
      rows = split.map((row) => ({ sourceLength: row.sourceLength, decoderLength: row.decoder.length }));
      sourceWidth = Math.max(...split.map((row) => row.source.length));
      decoderWidth = Math.max(...split.map((row) => row.decoder.length));
      feeds = {
        [names.inputIds]: int64Rows(
          split.map((row) => row.source),
          sourceWidth,
          deps.padId,
        ),
        [names.attentionMask]: int64Rows(
          split.map((row) => row.source.map(() => 1)),
          sourceWidth,
          0,
        ),
        [names.decoderInputIds]: int64Rows(
          split.map((row) => row.decoder),
          decoderWidth,
          deps.startId,
        ),
        [names.decoderAttentionMask]: int64Rows(
          split.map((row) => row.decoder.map(() => 1)),
          decoderWidth,
          0,
        ),
      };
    } else {
      const embeds = deps.embeds!;
      const split = splitEmbeddingFeeds(embeds.tables, inputs.embeddings, lengths, inputs.attentionMask);
      rows = split.layout.sourceLengths.map((sourceLength, b) => ({
        sourceLength,
        decoderLength: split.layout.decoderLengths[b]!,
      }));
      sourceWidth = split.layout.sourceWidth;
      decoderWidth = split.layout.decoderWidth;
      feeds = split.feeds;
    }
    const positions =
      request.positions ??
      rows.map((row) => Array.from({ length: row.decoderLength }, (_, j) => row.sourceLength - 1 + j));
    const width = positions[0]?.length ?? 0;
    if (positions.length !== rows.length || positions.some((list) => list.length !== width)) {
      throw invalid(
        "Give every row the same number of logit positions.",
        "Ask for one position per row, or as many for each.",
      );
    }
    const decoderPositions = positions.map((list, b) =>
      list.map((position) => {
        const j = position - (rows[b]!.sourceLength - 1);
        if (!Number.isInteger(position) || j < 0 || j >= rows[b]!.decoderLength) {
          throw invalid(
            `Row ${b}: position ${position} has no logits: an encoder-decoder row's logits are at positions ${rows[b]!.sourceLength - 1} to ${rows[b]!.sourceLength - 2 + rows[b]!.decoderLength}.`,
            "Position sourceLength − 1 + t predicts target token t.",
          );
        }
        return j;
      }),
    );
    const zeroings = (request.interventions ?? []).filter((change) => change.kind === "zeroValues");
    if (zeroings.length > 0) {
      Object.assign(feeds, valueMaskFeeds(zeroings, deps.layout, rows, { sourceWidth, decoderWidth }));
    }
    const session = await deps.session({
      input: "ids" in inputs ? "ids" : "embeds",
      taps: tapNames?.names ?? [],
      valueZeroing: zeroings.length > 0,
    });
    throwIfAborted(request.signal);
    const outputs = await session.run(feeds);
    const all = denseTensor(outputs[names.logits]!);
    const vocab = all.dims[2]!;
    const data = new Float32Array(rows.length * width * vocab);
    decoderPositions.forEach((list, b) => {
      list.forEach((j, p) => {
        const from = (b * decoderWidth + j) * vocab;
        data.set(all.data.subarray(from, from + vocab), (b * width + p) * vocab);
      });
    });
    return {
      logits: { data, dims: [rows.length, width, vocab] },
      ...(tapNames ? { taps: readTaps(tapNames, outputs) } : {}),
    };
  };
}
