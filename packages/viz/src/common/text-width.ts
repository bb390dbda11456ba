import stringWidth from "string-width";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Columns `text` takes in a terminal: East Asian wide characters and emoji
 * count 2, combining marks 0, ANSI escape codes nothing.
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/**
 * `text` cut to at most `width` columns, ending in "…" when cut. Cuts between
 * grapheme clusters so that an emoji or an accented letter is never split.
 * Plain text only: escape codes would be counted as characters to keep.
 */
export function truncateToWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(text) <= width) return text;
  let kept = "";
  let keptWidth = 0;
  for (const { segment } of graphemes.segment(text)) {
    const segmentWidth = displayWidth(segment);
    if (keptWidth + segmentWidth > width - 1) break;
    kept += segment;
    keptWidth += segmentWidth;
  }
  return `${kept}…`;
}

/**
 * `text` cut to at most `width` columns from its start, beginning with "…" when cut: for labels
 * whose end tells them apart ("contrast_prob_diff" → "…prob_diff"). Plain text only.
 */
export function truncateStartToWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(text) <= width) return text;
  let kept = "";
  let keptWidth = 0;
  for (const segment of splitGraphemes(text).reverse()) {
    const segmentWidth = displayWidth(segment);
    if (keptWidth + segmentWidth > width - 1) break;
    kept = segment + kept;
    keptWidth += segmentWidth;
  }
  return `…${kept}`;
}

/** `text` followed by spaces up to `width` columns (unchanged when already wider). */
export function padEndToWidth(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** Spaces then `text`, up to `width` columns (unchanged when already wider). */
export function padStartToWidth(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}

/**
 * `text` split into grapheme clusters, so a token wider than a line can be cut
 * into pieces without splitting a character.
 */
export function splitGraphemes(text: string): string[] {
  return Array.from(graphemes.segment(text), ({ segment }) => segment);
}
