/*
 * Places decoded token pieces on the original text. Decoding rarely reproduces the text exactly:
 * a BOS the post-processor added has no characters; SentencePiece writes the space of a word
 * after a special token that the text does not have; normalizers (NFC, NFKC, lowercase) change
 * characters; an unknown token decodes to "<unk>"; lstrip/rstrip special tokens swallow spaces.
 * So each piece is matched at the cursor, then with its leading spaces dropped, then up to
 * normalization, then a little further on; what cannot be placed takes the gap before the next
 * token that can.
 */

/** A half-open [start, end) range of UTF-16 units, or null for a token without characters. */
export type PieceSpan = [number, number] | null;

interface Match {
  start: number;
  end: number;
}

const normalized = (text: string) => text.normalize("NFKC").toLowerCase();

function variantsOf(piece: string): string[] {
  const variants = [piece, piece.trimStart(), piece.trim()].filter((variant) => variant.length > 0);
  return [...new Set(variants)];
}

function matchAt(text: string, cursor: number, variants: readonly string[]): Match | undefined {
  for (const variant of variants) {
    if (text.startsWith(variant, cursor)) return { start: cursor, end: cursor + variant.length };
  }
  for (const variant of variants) {
    const target = normalized(variant);
    const maxEnd = Math.min(text.length, cursor + 2 * variant.length + 4);
    for (let end = cursor + 1; end <= maxEnd; end++) {
      if (normalized(text.slice(cursor, end)) === target) return { start: cursor, end };
    }
  }
  return undefined;
}

function searchForward(
  text: string,
  cursor: number,
  variants: readonly string[],
  maxSkip: number,
  whitespaceGapOnly: boolean,
): Match | undefined {
  let best: Match | undefined;
  for (const variant of variants) {
    const start = text.indexOf(variant, cursor + 1);
    if (start < 0 || start - cursor > maxSkip || (best && best.start <= start)) continue;
    if (whitespaceGapOnly && text.slice(cursor, start).trim() !== "") continue;
    best = { start, end: start + variant.length };
  }
  return best;
}

/** How far ahead a piece is looked for: a little, or far when unplaced tokens wait for a gap. */
const NEAR_SKIP = 16;
const FAR_SKIP = 256;

/**
 * Spans of decoded token pieces in `text`, in order and never overlapping. A special token gets
 * its characters when its text stands at that point of `text` (chat markers typed in a prompt),
 * else null (BOS/EOS the tokenizer added). Characters no token matched (spaces a normalizer
 * dropped, text under an unknown token) go to the unplaced token before them or, failing that,
 * to the next placed token, so the spans of consecutive tokens tile the text. An empty piece (a
 * byte token inside a character, SentencePiece's lone prefix space) gets an empty span.
 */
export function alignPieces(
  text: string,
  pieces: readonly string[],
  special: readonly boolean[],
): PieceSpan[] {
  const spans: PieceSpan[] = pieces.map(() => null);
  let cursor = 0;
  let pending: number[] = [];
  let lastPlaced = -1;
  const settle = (gapEnd: number) => {
    spans[pending[0]!] = [cursor, gapEnd];
    for (const index of pending.slice(1)) spans[index] = [gapEnd, gapEnd];
    lastPlaced = Math.max(lastPlaced, pending.at(-1)!);
    pending = [];
    cursor = gapEnd;
  };
  const place = (index: number, match: Match) => {
    if (pending.length > 0) settle(match.start);
    spans[index] = [cursor, match.end];
    lastPlaced = index;
    cursor = match.end;
  };
  const leaveEmpty = (index: number) => {
    if (pending.length > 0) pending.push(index);
    else spans[index] = [cursor, cursor];
  };
  pieces.forEach((piece, index) => {
    if (special[index]) {
      const variants = variantsOf(piece);
      const exact = variants.find((variant) => text.startsWith(variant, cursor));
      const match = exact
        ? { start: cursor, end: cursor + exact.length }
        : searchForward(text, cursor, variants, NEAR_SKIP, true);
      if (match) place(index, match);
      return;
    }
    if (piece.trim().length === 0) {
      // Empty, or spaces only: a byte inside a character, a prefix space the text lacks here.
      if (piece.length > 0 && text.startsWith(piece, cursor))
        place(index, { start: cursor, end: cursor + piece.length });
      else leaveEmpty(index);
      return;
    }
    const variants = variantsOf(piece);
    const match =
      matchAt(text, cursor, variants) ??
      searchForward(text, cursor, variants, pending.length > 0 ? FAR_SKIP : NEAR_SKIP, false);
    if (match) place(index, match);
    else pending.push(index);
  });
  if (pending.length > 0) settle(text.length);
  else if (cursor < text.length && lastPlaced >= 0) spans[lastPlaced] = [spans[lastPlaced]![0], text.length];
  return spans;
}
