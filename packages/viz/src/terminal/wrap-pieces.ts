import { displayWidth, splitGraphemes } from "../common/text-width.ts";

/** A run of text to lay out: plain text (for measuring) and how to style it once placed. */
export interface TextPiece {
  /** Plain text, no line breaks, no escape codes. */
  text: string;
  /** Start a new line before this piece (a line break in the original text). */
  breakBefore: boolean;
  /** Styles a part of the piece (colours); called once per line the piece lands on. */
  style: (chunk: string) => string;
  /** Never start a line with this piece: the previous one moves to the next line with it (an arrow and its token). */
  keepWithPrevious?: boolean;
}

/**
 * Lays pieces out in lines at most `columns` wide: a piece that does not fit
 * on the current line starts the next one; a piece wider than a whole line is
 * cut between grapheme clusters, each part styled on its own so that colours
 * never run across a line break.
 */
export function wrapPieces(pieces: readonly TextPiece[], columns: number): string[] {
  const lines: string[] = [];
  let line = "";
  let width = 0;
  const newLine = () => {
    lines.push(line);
    line = "";
    width = 0;
  };
  pieces.forEach((piece, index) => {
    if (piece.breakBefore) newLine();
    if (piece.text === "") return;
    const pieceWidth = displayWidth(piece.text);
    const next = pieces[index + 1];
    const gluedWidth = next?.keepWithPrevious && !next.breakBefore ? displayWidth(next.text) : 0;
    const needed = piece.keepWithPrevious ? pieceWidth : pieceWidth + gluedWidth;
    if (width > 0 && width + needed > columns) newLine();
    if (pieceWidth <= columns) {
      line += piece.style(piece.text);
      width += pieceWidth;
      return;
    }
    let chunk = "";
    for (const grapheme of splitGraphemes(piece.text)) {
      const graphemeWidth = displayWidth(grapheme);
      if (width + graphemeWidth > columns && width > 0) {
        line += chunk ? piece.style(chunk) : "";
        chunk = "";
        newLine();
      }
      chunk += grapheme;
      width += graphemeWidth;
    }
    if (chunk) line += piece.style(chunk);
  });
  lines.push(line);
  return lines;
}
