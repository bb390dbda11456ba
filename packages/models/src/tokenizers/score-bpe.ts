import type { Token } from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";
import { createHeap } from "./min-heap.ts";

/**
 * A SentencePiece-style vocabulary driven by piece scores, as llama2.c's `tok512.bin` and GGUF
 * "llama" tokenizers hold it.
 */
export interface ScoreBpeVocabulary {
  /** Text of each piece, with real spaces (not SentencePiece's "▁"). */
  pieces: readonly string[];
  /** Merge priority of each piece: the merge whose result scores highest goes first. */
  scores: ArrayLike<number>;
  /** For each byte value 0..255, the id of its `<0xNN>` fallback token, or -1 when absent. */
  byteTokenIds: ArrayLike<number>;
  /**
   * Ids that never match text and decode to nothing: BOS, EOS, unknown, control and unused tokens.
   * Byte tokens never match text either (their piece is the literal "<0xNN>").
   */
  specialIds: ReadonlySet<number>;
  bosId?: number;
  eosId?: number;
  /** Used for a character whose bytes have no fallback tokens; encoding fails without it. */
  unknownId?: number;
  /** Prepend a space to non-empty text before encoding (SentencePiece's "dummy prefix"); default true. */
  addDummyPrefix?: boolean;
}

/** Options of {@link ScoreBpeTokenizer.encode}. */
export interface ScoreBpeEncodeOptions {
  /** Prepend BOS, as a prompt for a Llama model needs; default false. */
  addBos?: boolean;
  /** Append EOS; default false. */
  addEos?: boolean;
  /**
   * Override the vocabulary's dummy-prefix setting: false for text that continues earlier text
   * (a forced target after a prompt), which must not gain a leading space.
   */
  addDummyPrefix?: boolean;
}

/** Options of {@link ScoreBpeTokenizer.decode}. */
export interface ScoreBpeDecodeOptions {
  /** Write special tokens as their piece text instead of dropping them; default false. */
  keepSpecialTokens?: boolean;
}

/** A tokenizer over a {@link ScoreBpeVocabulary}. */
export interface ScoreBpeTokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /**
   * Encodes as llama2.c does and returns tokens with character spans. The dummy-prefix space has
   * no characters in the original text: it gets the empty span [0, 0), so the token it merges into
   * (" Once") spans only its real characters ("Once"); left alone it is a token with text "". A
   * character split into byte tokens gives its whole span to the first byte and empty spans at its
   * end to the rest, so the texts of the tokens always concatenate to the original text.
   */
  encode(text: string, options?: ScoreBpeEncodeOptions): Token[];
  /** The ids of {@link encode}. */
  encodeIds(text: string, options?: ScoreBpeEncodeOptions): number[];
  /**
   * Decodes as llama2.c does: drops the leading space of a piece that follows BOS, turns byte
   * tokens back into bytes and reads the bytes as UTF-8 (invalid sequences become U+FFFD).
   */
  decode(ids: readonly number[], options?: ScoreBpeDecodeOptions): string;
  /** The piece text of an id (with real spaces). */
  idToPiece(id: number): string;
}

/** One symbol of the text being merged: a token id and the UTF-16 span it covers. */
interface Symbols {
  ids: number[];
  starts: number[];
  ends: number[];
  next: number[];
  prev: number[];
}

interface Candidate {
  score: number;
  left: number;
  right: number;
  leftId: number;
  rightId: number;
  mergedId: number;
}

/** Creates a tokenizer that encodes exactly as llama2.c's `encode` (see {@link ScoreBpeTokenizer}). */
export function createScoreBpeTokenizer(vocabulary: ScoreBpeVocabulary): ScoreBpeTokenizer {
  const { pieces, scores, byteTokenIds, specialIds, bosId, eosId, unknownId } = vocabulary;
  const addDummyPrefix = vocabulary.addDummyPrefix ?? true;
  const byteOfId = new Map<number, number>();
  for (let byte = 0; byte < 256; byte++) {
    const id = byteTokenIds[byte] ?? -1;
    if (id >= 0) byteOfId.set(id, byte);
  }
  // Lowest id wins for duplicate pieces; special and byte tokens are left out so that text can
  // never turn into them.
  const idOfPiece = new Map<string, number>();
  pieces.forEach((piece, id) => {
    if (!specialIds.has(id) && !byteOfId.has(id) && !idOfPiece.has(piece)) idOfPiece.set(piece, id);
  });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8");

  const initialSymbols = (text: string, withDummyPrefix: boolean): Symbols => {
    const symbols: Symbols = { ids: [], starts: [], ends: [], next: [], prev: [] };
    const push = (id: number, start: number, end: number) => {
      symbols.ids.push(id);
      symbols.starts.push(start);
      symbols.ends.push(end);
    };
    const pushCharacter = (character: string, start: number, end: number) => {
      const id = idOfPiece.get(character);
      if (id !== undefined) return push(id, start, end);
      const bytes = encoder.encode(character);
      const fallback = Array.from(bytes, (byte) => byteTokenIds[byte] ?? -1);
      if (fallback.every((byteId) => byteId >= 0)) {
        fallback.forEach((byteId, k) => {
          push(byteId, k === 0 ? start : end, end);
        });
      } else if (unknownId !== undefined) {
        push(unknownId, start, end);
      } else {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `The character ${JSON.stringify(character)} at ${start} is not in the vocabulary, which has no byte fallback or unknown token.`,
          { hint: "Remove the character from the text, or use the model's own tokenizer files." },
        );
      }
    };
    if (withDummyPrefix && text.length > 0) pushCharacter(" ", 0, 0);
    let position = 0;
    for (const character of text) {
      pushCharacter(character, position, position + character.length);
      position += character.length;
    }
    const count = symbols.ids.length;
    symbols.next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
    symbols.prev = Array.from({ length: count }, (_, i) => i - 1);
    return symbols;
  };

  // llama2.c merges, over and over, the adjacent pair whose merged piece scores highest, the
  // leftmost on ties. A heap ordered by (score, left position) with stale entries skipped picks
  // the same pair each round, in O(n log n) instead of O(n^2).
  const merge = (symbols: Symbols): void => {
    const heap = createHeap<Candidate>((a, b) => (a.score !== b.score ? a.score > b.score : a.left < b.left));
    const consider = (left: number) => {
      const right = left >= 0 ? symbols.next[left]! : -1;
      if (left < 0 || right < 0) return;
      const leftId = symbols.ids[left]!;
      const rightId = symbols.ids[right]!;
      if (byteOfId.has(leftId) || byteOfId.has(rightId)) return;
      const mergedId = idOfPiece.get(pieces[leftId]! + pieces[rightId]!);
      if (mergedId === undefined) return;
      heap.push({ score: scores[mergedId]!, left, right, leftId, rightId, mergedId });
    };
    for (let i = 0; i < symbols.ids.length; i++) consider(i);
    for (let candidate = heap.pop(); candidate; candidate = heap.pop()) {
      const { left, right } = candidate;
      const stale =
        symbols.next[left] !== right ||
        symbols.ids[left] !== candidate.leftId ||
        symbols.ids[right] !== candidate.rightId;
      if (stale) continue;
      symbols.ids[left] = candidate.mergedId;
      symbols.ends[left] = symbols.ends[right]!;
      const after = symbols.next[right]!;
      symbols.next[left] = after;
      if (after >= 0) symbols.prev[after] = left;
      symbols.ids[right] = -1;
      symbols.next[right] = -1;
      consider(symbols.prev[left]!);
      consider(left);
    }
  };

  const specialToken = (id: number): Token => ({ id, text: "", span: null, special: true });

  const encode = (text: string, options: ScoreBpeEncodeOptions = {}): Token[] => {
    const tokens: Token[] = [];
    if (options.addBos) tokens.push(specialToken(requireId(bosId, "BOS")));
    if (text.length > 0) {
      const symbols = initialSymbols(text, options.addDummyPrefix ?? addDummyPrefix);
      merge(symbols);
      for (let i = 0; i >= 0 && i < symbols.ids.length; i = symbols.next[i]!) {
        const start = symbols.starts[i]!;
        const end = symbols.ends[i]!;
        tokens.push({
          id: symbols.ids[i]!,
          text: text.slice(start, end),
          span: [start, end],
          special: false,
        });
      }
    }
    if (options.addEos) tokens.push(specialToken(requireId(eosId, "EOS")));
    return tokens;
  };

  const decode = (ids: readonly number[], options: ScoreBpeDecodeOptions = {}): string => {
    const chunks: number[] = [];
    ids.forEach((id, index) => {
      if (!Number.isInteger(id) || id < 0 || id >= pieces.length) {
        throw new TokenscopeError("INVALID_INPUT", `Token id ${id} is not in [0, ${pieces.length}).`, {
          hint: "Decode ids produced by this tokenizer or its model.",
        });
      }
      const byte = byteOfId.get(id);
      if (byte !== undefined) {
        chunks.push(byte);
        return;
      }
      if (specialIds.has(id) && !options.keepSpecialTokens) return;
      let piece = pieces[id]!;
      if (index > 0 && ids[index - 1] === bosId && piece.startsWith(" ")) piece = piece.slice(1);
      for (const byteOfPiece of encoder.encode(piece)) chunks.push(byteOfPiece);
    });
    return decoder.decode(new Uint8Array(chunks));
  };

  return {
    vocabSize: pieces.length,
    bosId,
    eosId,
    encode,
    encodeIds: (text, options) => encode(text, options).map((token) => token.id!),
    decode,
    idToPiece: (id) => {
      const piece = pieces[id];
      if (piece === undefined) {
        throw new TokenscopeError("INVALID_INPUT", `Token id ${id} is not in [0, ${pieces.length}).`, {
          hint: "Pass an id below the vocabulary size.",
        });
      }
      return piece;
    },
  };
}

function requireId(id: number | undefined, what: string): number {
  if (id === undefined) {
    throw new TokenscopeError("INVALID_INPUT", `This tokenizer defines no ${what} token.`, {
      hint: `Encode without add${what === "BOS" ? "Bos" : "Eos"}.`,
    });
  }
  return id;
}
