import { TokenscopeError } from "@tokenscope/core";
import type { NormalizerSpec } from "./model-proto.ts";

/*
 * SentencePiece's normalizer (normalizer.cc), on JavaScript strings. The precompiled charsmap is
 * `<uint32 LE trie size><darts-clone double array><NUL-terminated replacement strings>`: the trie
 * maps UTF-8 byte sequences of the input to offsets of their replacements, and the longest match
 * at each point wins. Then whitespace is trimmed and collapsed, the dummy-prefix space is added and
 * spaces become "▁", keeping for every output character the input offset it came from, as
 * sentencepiece's `norm_to_orig` does, so that token spans can point into the original text.
 */

/** The space SentencePiece writes in pieces (U+2581). */
export const SPACE_SYMBOL = "\u2581";

/** A charsmap ready for matching. */
export interface PrecompiledCharsmap {
  /**
   * The longest rule matching `bytes` at `start` (UTF-8), ending at a character boundary of
   * `isBoundary`: its length in bytes and its replacement; undefined when no rule matches.
   */
  longestMatch(
    bytes: Uint8Array,
    start: number,
    isBoundary: (byteOffset: number) => boolean,
  ): { byteLength: number; replacement: string } | undefined;
}

const HAS_LEAF = 0x100;
const unitLabel = (unit: number) => (unit & 0x800000ff) >>> 0;
const unitValue = (unit: number) => unit & 0x7fffffff;
// The offset is stored in the top 22 bits, scaled by 256 when bit 9 is set (darts-clone's trick to
// reach far children with one 32-bit unit).
const unitOffset = (unit: number) => (unit >>> 10) * (unit & 0x200 ? 256 : 1);

/**
 * Reads a `precompiled_charsmap` blob. A malformed blob is a MODEL_LOAD_FAILED naming `source`;
 * a trie that points outside itself is not rejected up front (that would need a full walk) but
 * every lookup is bounds-checked, so hostile data can only make rules not match.
 */
export function readPrecompiledCharsmap(
  blob: Uint8Array,
  source = "SentencePiece model",
): PrecompiledCharsmap {
  const fail = (what: string): never => {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: the normalizer's precompiled_charsmap ${what}.`,
      {
        hint: "The model file is damaged; download it again.",
        details: { source, byteLength: blob.byteLength },
      },
    );
  };
  if (blob.byteLength <= 4) fail(`has ${blob.byteLength} bytes, too few for its header`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const trieSize = view.getUint32(0, true);
  if (trieSize >= blob.byteLength) fail(`claims a ${trieSize}-byte trie in a ${blob.byteLength}-byte blob`);
  if (4 + trieSize > blob.byteLength) fail(`is cut off inside its trie`);
  const unitCount = Math.floor(trieSize / 4);
  if (unitCount === 0) fail("has an empty trie");
  const units = new Uint32Array(unitCount);
  for (let index = 0; index < unitCount; index++) units[index] = view.getUint32(4 + index * 4, true);
  const normalized = blob.subarray(4 + trieSize);
  const decoder = new TextDecoder("utf-8");
  const replacements = new Map<number, string>();
  const replacementAt = (offset: number): string | undefined => {
    if (offset >= normalized.length) return undefined;
    let text = replacements.get(offset);
    if (text === undefined) {
      const end = normalized.indexOf(0, offset);
      text = decoder.decode(normalized.subarray(offset, end < 0 ? normalized.length : end));
      replacements.set(offset, text);
    }
    return text;
  };
  return {
    longestMatch(bytes, start, isBoundary) {
      // darts-clone's commonPrefixSearch: follow one byte per step, report a value wherever the
      // node reached has a leaf.
      let nodePos = unitOffset(units[0]!);
      let best: { byteLength: number; value: number } | undefined;
      for (let index = start; index < bytes.length; index++) {
        const byte = bytes[index]!;
        nodePos = (nodePos ^ byte) >>> 0;
        if (nodePos >= unitCount) break;
        const unit = units[nodePos]!;
        if (unitLabel(unit) !== byte) break;
        nodePos = (nodePos ^ unitOffset(unit)) >>> 0;
        if (unit & HAS_LEAF) {
          if (nodePos >= unitCount) break;
          if (isBoundary(index + 1))
            best = { byteLength: index + 1 - start, value: unitValue(units[nodePos]!) };
        }
      }
      if (!best) return undefined;
      const replacement = replacementAt(best.value);
      return replacement === undefined ? undefined : { byteLength: best.byteLength, replacement };
    },
  };
}

/** Normalized text and where each of its UTF-16 units came from. */
export interface NormalizedText {
  /** The normalized text, spaces as "▁" when escaping, dummy prefix included. */
  text: string;
  /**
   * For each UTF-16 unit of `text`, plus one for its end, the UTF-16 offset in the input it came
   * from (sentencepiece's norm_to_orig): a replaced character's output all points at its start,
   * the dummy prefix at the first kept input character.
   */
  normToOrig: number[];
}

/** Options of {@link createNormalizer}. */
export interface NormalizerOptions {
  /** Put the dummy space at the end instead (TrainerSpec.treat_whitespace_as_suffix). */
  treatWhitespaceAsSuffix?: boolean;
  /** USER_DEFINED pieces: copied through unnormalized, longest first, as sentencepiece's matcher does. */
  userDefinedPieces?: readonly string[];
  /** Names the model file in errors. */
  source?: string;
}

/** A SentencePiece normalizer. */
export interface SentencePieceNormalizer {
  normalize(input: string): NormalizedText;
}

/** A normalizer that does exactly what sentencepiece's `Normalizer::Normalize` does for `spec`. */
export function createNormalizer(
  spec: NormalizerSpec,
  options: NormalizerOptions = {},
): SentencePieceNormalizer {
  const charsmap =
    spec.precompiledCharsmap.length > 0
      ? readPrecompiledCharsmap(spec.precompiledCharsmap, options.source)
      : undefined;
  const userDefined = [...new Set(options.userDefinedPieces ?? [])]
    .filter((piece) => piece.length > 0)
    .sort((a, b) => b.length - a.length);
  const encoder = new TextEncoder();
  const { removeExtraWhitespaces, escapeWhitespaces, addDummyPrefix } = spec;
  const suffix = options.treatWhitespaceAsSuffix ?? false;
  const space = escapeWhitespaces ? SPACE_SYMBOL : " ";

  return {
    normalize(input) {
      if (input.length === 0) return { text: "", normToOrig: [0] };
      // UTF-8 offsets of each UTF-16 position, for the byte trie; -1 inside a character.
      const bytes = encoder.encode(input);
      const byteOfUnit = new Int32Array(input.length + 1).fill(-1);
      const unitOfByte = new Int32Array(bytes.length + 1).fill(-1);
      for (let unit = 0, byte = 0; ; ) {
        byteOfUnit[unit] = byte;
        unitOfByte[byte] = unit;
        if (unit >= input.length) break;
        const codePoint = input.codePointAt(unit)!;
        const units = codePoint > 0xffff ? 2 : 1;
        const isLoneSurrogate = units === 1 && codePoint >= 0xd800 && codePoint <= 0xdfff;
        byte += isLoneSurrogate ? 3 : encoder.encode(String.fromCodePoint(codePoint)).length;
        unit += units;
      }
      const isBoundary = (byteOffset: number) => unitOfByte[byteOffset]! >= 0;

      /** NormalizePrefix: the replacement of what starts at `unit` and how many units it eats. */
      const prefix = (unit: number): { text: string; length: number } => {
        for (const piece of userDefined)
          if (input.startsWith(piece, unit)) return { text: piece, length: piece.length };
        const match = charsmap?.longestMatch(bytes, byteOfUnit[unit]!, isBoundary);
        if (match) {
          const end = unitOfByte[byteOfUnit[unit]! + match.byteLength]!;
          return { text: match.replacement, length: end - unit };
        }
        const codePoint = input.codePointAt(unit)!;
        const length = codePoint > 0xffff ? 2 : 1;
        const isLoneSurrogate = length === 1 && codePoint >= 0xd800 && codePoint <= 0xdfff;
        // Malformed UTF-8 becomes U+FFFD in sentencepiece; a lone surrogate is the JS equivalent.
        return { text: isLoneSurrogate ? "\uFFFD" : input.slice(unit, unit + length), length };
      };

      let position = 0;
      let consumed = 0;
      if (removeExtraWhitespaces) {
        while (position < input.length) {
          const next = prefix(position);
          if (next.text !== " ") break;
          position += next.length;
          consumed += next.length;
        }
      }
      if (position >= input.length) return { text: "", normToOrig: [consumed] };

      let text = "";
      const normToOrig: number[] = [];
      const addSpace = () => {
        text += space;
        normToOrig.push(consumed);
      };
      if (!suffix && addDummyPrefix) addSpace();
      let isPrevSpace = removeExtraWhitespaces;
      while (position < input.length) {
        const next = prefix(position);
        let piece = next.text;
        if (isPrevSpace) {
          let skip = 0;
          while (piece.startsWith(" ", skip)) skip++;
          piece = piece.slice(skip);
        }
        if (piece.length > 0) {
          text += escapeWhitespaces ? piece.replaceAll(" ", SPACE_SYMBOL) : piece;
          for (let k = 0; k < piece.length; k++) normToOrig.push(consumed);
          isPrevSpace = piece.endsWith(" ");
        }
        consumed += next.length;
        position += next.length;
        if (!removeExtraWhitespaces) isPrevSpace = false;
      }
      if (removeExtraWhitespaces) {
        while (text.endsWith(space)) {
          const length = text.length - space.length;
          consumed = normToOrig[length]!;
          text = text.slice(0, length);
          normToOrig.length = length;
        }
      }
      if (suffix && addDummyPrefix) addSpace();
      normToOrig.push(consumed);
      return { text, normToOrig };
    },
  };
}
