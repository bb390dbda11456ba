import { TokenscopeError } from "@tokenscope/core";
import { createHeap } from "../min-heap.ts";
import { ModelType, PieceType, type SentencePieceModel } from "./model-proto.ts";
import { createNormalizer, type SentencePieceNormalizer, SPACE_SYMBOL } from "./precompiled-charsmap.ts";

/*
 * SentencePiece encoding on normalized text: Unigram Viterbi (unigram_model.cc, the default
 * "optimized" encoder) and score-ordered BPE (bpe_model.cc), then what sentencepiece_processor.cc
 * does with the result (byte fallback, merged unknown runs, spans through norm_to_orig), and
 * `DecodePieces`. Float32 arithmetic is reproduced with Math.fround so that ties break as in C++.
 */

/** The pieces of a model as the segmenters look them up. */
export interface SentencePieceVocabulary {
  /** Matchable pieces (NORMAL, USER_DEFINED, UNUSED) → id, as sentencepiece's `pieces_`. */
  matchable: ReadonlyMap<string, number>;
  /** CONTROL, UNKNOWN and BYTE pieces → id (`reserved_id_map_`): never produced from text. */
  reserved: ReadonlyMap<string, number>;
  scores: Float32Array;
  types: Uint8Array;
  unkId: number;
  /** Lowest and highest NORMAL score (FLT_MAX / FLT_MIN when there is none, as in C++). */
  minScore: number;
  maxScore: number;
  /** Longest matchable piece in UTF-16 units: how far the lattice looks ahead. */
  maxPieceLength: number;
}

const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN = 1.1754943508222875e-38;
const UNK_PENALTY = 10;

/** Indexes a model's pieces; duplicate pieces are refused as sentencepiece refuses them. */
export function sentencePieceVocabulary(
  model: SentencePieceModel,
  source = "SentencePiece model",
): SentencePieceVocabulary {
  const matchable = new Map<string, number>();
  const reserved = new Map<string, number>();
  const scores = new Float32Array(model.pieces.length);
  const types = new Uint8Array(model.pieces.length);
  let minScore = FLT_MAX;
  let maxScore = FLT_MIN;
  let maxPieceLength = 1;
  let unkId = -1;
  model.pieces.forEach(({ piece, score, type }, id) => {
    scores[id] = score;
    types[id] = type;
    const isMatchable =
      type === PieceType.NORMAL || type === PieceType.USER_DEFINED || type === PieceType.UNUSED;
    const map = isMatchable ? matchable : reserved;
    if (matchable.has(piece) || reserved.has(piece)) {
      throw new TokenscopeError(
        "MODEL_LOAD_FAILED",
        `${source}: piece ${JSON.stringify(piece)} (id ${id}) is defined twice.`,
        {
          hint: "sentencepiece refuses this model too; the file is damaged or was not written by sentencepiece.",
          details: { source, piece, id },
        },
      );
    }
    map.set(piece, id);
    if (isMatchable) maxPieceLength = Math.max(maxPieceLength, piece.length);
    if (type === PieceType.NORMAL) {
      minScore = Math.min(minScore, scores[id]!);
      maxScore = Math.max(maxScore, scores[id]!);
    }
    if (type === PieceType.UNKNOWN) unkId = id;
  });
  if (unkId < 0) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: the model has no UNKNOWN piece.`, {
      hint: "sentencepiece needs exactly one <unk> piece; the file is damaged or not a SentencePiece model.",
      details: { source },
    });
  }
  return { matchable, reserved, scores, types, unkId, minScore, maxScore, maxPieceLength };
}

/** One segment of normalized text: its piece string, id, and UTF-16 range in the normalized text. */
export interface NormalizedPiece {
  piece: string;
  id: number;
  start: number;
  end: number;
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;
const charLength = (text: string, at: number) => (text.codePointAt(at)! > 0xffff ? 2 : 1);

/**
 * Unigram Viterbi as sentencepiece's optimized encoder: for each character start, every
 * matchable piece (UNUSED skipped) offers its score, a USER_DEFINED piece `utf8 bytes × max score
 * − 0.1`, and a character no one-character piece covers offers `<unk>` at `min score − 10`; the
 * first candidate wins ties (starts in order, shorter pieces first).
 */
export function unigramSegment(normalized: string, vocabulary: SentencePieceVocabulary): NormalizedPiece[] {
  const size = normalized.length;
  if (size === 0) return [];
  const { matchable, scores, types, unkId, maxPieceLength } = vocabulary;
  const unkScore = Math.fround(vocabulary.minScore - UNK_PENALTY);
  const bestScore = new Float64Array(size + 1);
  const bestStart = new Int32Array(size + 1).fill(-1);
  const bestId = new Int32Array(size + 1).fill(-1);
  const offer = (end: number, start: number, id: number, candidate: number) => {
    if (bestStart[end] === -1 || candidate > bestScore[end]!) {
      bestScore[end] = Math.fround(candidate);
      bestStart[end] = start;
      bestId[end] = id;
    }
  };
  for (let start = 0; start < size; start += charLength(normalized, start)) {
    const scoreHere = bestScore[start]!;
    const firstChar = charLength(normalized, start);
    let hasSingle = false;
    for (
      let end = start + firstChar;
      end <= Math.min(size, start + maxPieceLength);
      end += charLength(normalized, end)
    ) {
      const piece = normalized.slice(start, end);
      const id = matchable.get(piece);
      if (id !== undefined && types[id] !== PieceType.UNUSED) {
        const candidate =
          types[id] === PieceType.USER_DEFINED
            ? Math.fround(utf8Length(piece) * vocabulary.maxScore) - 0.1 + scoreHere
            : Math.fround(scores[id]! + scoreHere);
        offer(end, start, id, candidate);
        if (end === start + firstChar) hasSingle = true;
      }
      if (end >= size) break;
    }
    if (!hasSingle) offer(start + firstChar, start, unkId, Math.fround(unkScore + scoreHere));
  }
  const result: NormalizedPiece[] = [];
  for (let end = size; end > 0; end = bestStart[end]!) {
    const start = bestStart[end]!;
    result.push({ piece: normalized.slice(start, end), id: bestId[end]!, start, end });
  }
  return result.reverse();
}

/**
 * BPE as sentencepiece's bpe_model.cc: characters (USER_DEFINED pieces whole and frozen), then the
 * adjacent pair whose concatenation is a piece with the highest score is merged, leftmost first on
 * ties; merges into UNUSED pieces are undone at the end; a symbol that is no piece is `<unk>`.
 */
export function bpeSegment(
  normalized: string,
  vocabulary: SentencePieceVocabulary,
  userDefinedPieces: readonly string[] = [],
): NormalizedPiece[] {
  if (normalized.length === 0) return [];
  const { matchable, reserved, scores, types, unkId } = vocabulary;
  const frozenPieces = [...userDefinedPieces].sort((a, b) => b.length - a.length);
  const starts: number[] = [];
  const ends: number[] = [];
  const frozen: boolean[] = [];
  for (let at = 0; at < normalized.length; ) {
    const user = frozenPieces.find((piece) => normalized.startsWith(piece, at));
    const length = user?.length ?? charLength(normalized, at);
    starts.push(at);
    ends.push(at + length);
    frozen.push(user !== undefined);
    at += length;
  }
  const count = starts.length;
  const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
  const prev = Array.from({ length: count }, (_, i) => i - 1);
  const alive = new Array<boolean>(count).fill(true);
  const unmerge = new Map<string, [string, string]>();
  interface Pair {
    left: number;
    right: number;
    score: number;
    length: number;
  }
  const agenda = createHeap<Pair>((a, b) => (a.score !== b.score ? a.score > b.score : a.left < b.left));
  const pieceOf = (index: number) => normalized.slice(starts[index]!, ends[index]!);
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0 || frozen[left] || frozen[right]) return;
    const merged = normalized.slice(starts[left]!, ends[right]!);
    const id = matchable.get(merged);
    if (id === undefined) return;
    agenda.push({ left, right, score: scores[id]!, length: merged.length });
    if (types[id] === PieceType.UNUSED) unmerge.set(merged, [pieceOf(left), pieceOf(right)]);
  };
  for (let i = 1; i < count; i++) consider(i - 1, i);
  for (let top = agenda.pop(); top; top = agenda.pop()) {
    const { left, right } = top;
    if (!alive[left] || !alive[right] || next[left] !== right || ends[right]! - starts[left]! !== top.length)
      continue;
    ends[left] = ends[right]!;
    next[left] = next[right]!;
    if (next[right]! >= 0) prev[next[right]!] = left;
    alive[right] = false;
    consider(prev[left]!, left);
    consider(left, next[left]!);
  }
  const result: NormalizedPiece[] = [];
  const emit = (piece: string, start: number) => {
    const id = matchable.get(piece);
    const split = id !== undefined && types[id] === PieceType.UNUSED ? unmerge.get(piece) : undefined;
    if (split) {
      emit(split[0], start);
      emit(split[1], start + split[0].length);
      return;
    }
    result.push({ piece, id: id ?? reserved.get(piece) ?? unkId, start, end: start + piece.length });
  };
  for (let index = 0; index >= 0; index = next[index]!) emit(pieceOf(index), starts[index]!);
  return result;
}

/** A piece of encoded text, with its UTF-16 span in the original (un-normalized) text. */
export interface SentencePieceToken {
  piece: string;
  id: number;
  start: number;
  end: number;
}

/** Encoding and decoding with one SentencePiece model, as `SentencePieceProcessor` does. */
export interface SentencePieceProcessor {
  readonly model: SentencePieceModel;
  readonly vocabulary: SentencePieceVocabulary;
  readonly normalizer: SentencePieceNormalizer;
  /** `EncodeAsPieces` with spans: unknown runs merged, or split into `<0xNN>` bytes with byte fallback. */
  encode(text: string): SentencePieceToken[];
  /** `DecodePieces`: controls vanish, bytes are joined, "▁" is a space, the first one dropped. */
  decodePieces(pieces: readonly string[]): string;
  /** `PieceToId`: the unknown id for a piece the model lacks. */
  pieceToId(piece: string): number;
}

const byteHex = (byte: number) => `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;

/** A processor for a model; refuses models whose type this module cannot segment (WORD, CHAR). */
export function createSentencePieceProcessor(
  model: SentencePieceModel,
  source = "SentencePiece model",
): SentencePieceProcessor {
  const { modelType, byteFallback, treatWhitespaceAsSuffix } = model.trainerSpec;
  if (modelType !== ModelType.UNIGRAM && modelType !== ModelType.BPE) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: model_type ${modelType} (WORD/CHAR) is not supported.`,
      {
        hint: "Only Unigram and BPE SentencePiece models are supported.",
        details: { source, modelType },
      },
    );
  }
  const vocabulary = sentencePieceVocabulary(model, source);
  const userDefinedPieces = model.pieces.filter((p) => p.type === PieceType.USER_DEFINED).map((p) => p.piece);
  const normalizer = createNormalizer(model.normalizerSpec, {
    treatWhitespaceAsSuffix,
    userDefinedPieces,
    source,
  });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8");
  const pieceToId = (piece: string) =>
    vocabulary.reserved.get(piece) ?? vocabulary.matchable.get(piece) ?? vocabulary.unkId;
  const isType = (id: number, type: PieceType) => vocabulary.types[id] === type;

  return {
    model,
    vocabulary,
    normalizer,
    pieceToId,
    encode(text) {
      const { text: normalized, normToOrig } = normalizer.normalize(text);
      const segments =
        modelType === ModelType.UNIGRAM
          ? unigramSegment(normalized, vocabulary)
          : bpeSegment(normalized, vocabulary, userDefinedPieces);
      const tokens: SentencePieceToken[] = [];
      let previousUnknown = false;
      for (const segment of segments) {
        const start = normToOrig[segment.start]!;
        const end = normToOrig[segment.end]!;
        const unknown = segment.id === vocabulary.unkId;
        if (unknown && byteFallback) {
          const bytes = encoder.encode(segment.piece);
          bytes.forEach((byte, k) => {
            const piece = byteHex(byte);
            // The last byte holds the character's surface; the others are empty, as sentencepiece.
            tokens.push({ piece, id: pieceToId(piece), start, end: k === bytes.length - 1 ? end : start });
          });
        } else if (unknown && previousUnknown) {
          const last = tokens[tokens.length - 1]!;
          last.piece += segment.piece;
          last.end = end;
        } else {
          tokens.push({ piece: segment.piece, id: segment.id, start, end });
        }
        previousUnknown = unknown;
      }
      return tokens;
    },
    decodePieces(pieces) {
      const unkSurface = model.trainerSpec.unkSurface ?? " \u2047 ";
      const { addDummyPrefix, removeExtraWhitespaces } = model.normalizerSpec;
      let text = "";
      let bytes: number[] = [];
      let isBosSpace = true;
      let bosSpaceSeen = false;
      const flushBytes = () => {
        if (bytes.length > 0) text += decoder.decode(Uint8Array.from(bytes));
        bytes = [];
      };
      for (const piece of pieces) {
        const id = pieceToId(piece);
        if (isType(id, PieceType.BYTE)) {
          bytes.push(Number.parseInt(piece.slice(3, 5), 16));
          continue;
        }
        flushBytes();
        if (bosSpaceSeen || text.length > 0) isBosSpace = false;
        if (isType(id, PieceType.CONTROL)) {
          bosSpaceSeen = false;
          continue;
        }
        if (id === vocabulary.unkId) {
          text += piece === model.pieces[id]!.piece ? unkSurface : piece;
          bosSpaceSeen = false;
          continue;
        }
        let surface = piece;
        bosSpaceSeen = false;
        if (isBosSpace && (addDummyPrefix || removeExtraWhitespaces) && surface.startsWith(SPACE_SYMBOL)) {
          surface = surface.slice(SPACE_SYMBOL.length);
          bosSpaceSeen = !removeExtraWhitespaces;
        }
        text += surface.replaceAll(SPACE_SYMBOL, " ");
      }
      flushBytes();
      return text;
    },
  };
}
