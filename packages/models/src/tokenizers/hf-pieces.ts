/*
 * Which characters each token adds to a decoded text. transformers.js tokenizers give no offset
 * mapping, and a token's text depends on its neighbours (SentencePiece drops the space of the
 * first token, byte-level and byte-fallback tokens can end inside a UTF-8 character), so a
 * token's piece is read from decodes of the ids around it rather than from the vocabulary.
 */

/** Decodes ids to text, special tokens included, without clean-up of spaces. */
export type DecodeIds = (ids: readonly number[]) => string;

/** Options of {@link tokenPieces}. */
export interface TokenPiecesOptions {
  /** Tokens before this index are context only: pieces are returned for `ids.slice(from)`. Default 0. */
  from?: number;
  /** Tokens of context decoded before each token (at least one); default 8. */
  window?: number;
}

const REPLACEMENT = "\uFFFD";

/** The text without the replacement characters at its end: an incomplete UTF-8 character. */
function withoutPartial(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === REPLACEMENT) end--;
  return text.slice(0, end);
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Never split a surrogate pair.
  if (i > 0 && i < limit && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff) i--;
  return i;
}

/** Accumulates pieces; a decode that rewrites earlier characters takes them back from the last pieces. */
interface PieceBuilder {
  pieces: string[];
  /** Tokens whose decode ended inside a character (they own the character once it completes). */
  partial: boolean[];
}

function retract(builder: PieceBuilder, count: number): void {
  let remaining = count;
  for (let i = builder.pieces.length - 1; i >= 0 && remaining > 0; i--) {
    const piece = builder.pieces[i]!;
    const cut = Math.min(piece.length, remaining);
    builder.pieces[i] = piece.slice(0, piece.length - cut);
    remaining -= cut;
  }
}

/**
 * Pieces from decodes of growing prefixes: exact, quadratic in the number of tokens. Used when
 * the windowed pass does not add up.
 */
function exactPieces(ids: readonly number[], from: number, decode: DecodeIds): PieceBuilder {
  const builder: PieceBuilder = { pieces: [], partial: [] };
  let previous = withoutPartial(decode(ids.slice(0, from)));
  for (let i = from; i < ids.length; i++) {
    const raw = decode(ids.slice(0, i + 1));
    const current = i === ids.length - 1 ? raw : withoutPartial(raw);
    const common = commonPrefixLength(previous, current);
    retract(builder, previous.length - common);
    builder.pieces.push(current.slice(common));
    builder.partial.push(raw.length > 0 && raw.endsWith(REPLACEMENT) && i < ids.length - 1);
    previous = current;
  }
  return builder;
}

/**
 * Pieces from short windows: token i's piece is what decoding it after up to `window` earlier
 * tokens adds. A window starts only where no character is open, so a window never begins with
 * the tail of a character. Linear in the number of tokens.
 */
function windowedPieces(
  ids: readonly number[],
  from: number,
  window: number,
  decode: DecodeIds,
): PieceBuilder | undefined {
  const builder: PieceBuilder = { pieces: [], partial: [] };
  // Indices before which the decoded text holds only whole characters.
  const clean: number[] = [];
  let open = false;
  for (let i = Math.max(0, from - window); i < from; i++) {
    if (!open) clean.push(i);
    open = decode(ids.slice(clean.at(-1)!, i + 1)).endsWith(REPLACEMENT);
  }
  for (let i = from; i < ids.length; i++) {
    if (!open) clean.push(i);
    const limit = Math.max(0, i - window);
    const start =
      clean.findLast((index) => index <= limit && index < i) ?? clean.find((index) => index < i) ?? i;
    const left = withoutPartial(decode(ids.slice(start, i)));
    const raw = decode(ids.slice(start, i + 1));
    const right = i === ids.length - 1 ? raw : withoutPartial(raw);
    if (!right.startsWith(left)) return undefined;
    builder.pieces.push(right.slice(left.length));
    open = raw.endsWith(REPLACEMENT);
    builder.partial.push(open && i < ids.length - 1);
  }
  return builder;
}

/**
 * Gives each character that several tokens spell (a UTF-8 character split over byte tokens) to
 * the first of them, the convention of every tokenscope tokenizer: the others keep empty pieces.
 */
function giveCharactersToFirstByte(builder: PieceBuilder): string[] {
  const pieces = [...builder.pieces];
  let owner: number | undefined;
  for (let i = 0; i < pieces.length; i++) {
    if (owner !== undefined && owner !== i && pieces[i]!.length > 0) {
      const first = String.fromCodePoint(pieces[i]!.codePointAt(0)!);
      pieces[owner] += first;
      pieces[i] = pieces[i]!.slice(first.length);
      owner = undefined;
    }
    if (owner === undefined && builder.partial[i]) owner = i;
  }
  return pieces;
}

/**
 * The text each of `ids.slice(from)` adds when `ids` is decoded, in order: their concatenation is
 * the decoded text of those tokens after the ones before `from`. Special tokens add their own text
 * (decode with specials kept). A UTF-8 character split over several tokens goes to the first.
 * Pieces come from short windows of context and are checked against one decode of all of `ids`;
 * when they disagree (a decoder whose output is not additive), they are recomputed from growing
 * prefixes, which is exact.
 */
export function tokenPieces(
  ids: readonly number[],
  decode: DecodeIds,
  options: TokenPiecesOptions = {},
): string[] {
  const from = options.from ?? 0;
  const window = Math.max(1, options.window ?? 8);
  if (from >= ids.length) return [];
  // The check reads whole decodes from the first token: a window may start inside a character.
  const base = withoutPartial(decode(ids.slice(0, from)));
  const whole = decode(ids);
  const expected = whole.startsWith(base) ? whole.slice(base.length) : undefined;
  const windowed = windowedPieces(ids, from, window, decode);
  const builder =
    windowed && expected !== undefined && windowed.pieces.join("") === expected
      ? windowed
      : exactPieces(ids, from, decode);
  return giveCharactersToFirstByte(builder);
}
