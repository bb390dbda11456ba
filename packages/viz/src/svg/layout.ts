import { displayWidth, truncateToWidth } from "../common/text-width.ts";
import { type AttributeValue, element, type Markup, text } from "./markup.ts";

/** The font every figure asks for: DejaVu Sans Mono (bundled for PNG export), else any monospace font. */
export const fontFamily = "'DejaVu Sans Mono', monospace";

/** Advance width of one monospace cell, in em (DejaVu Sans Mono's is 1233/2048 ≈ 0.602). */
export const advanceEm = 0.602;

/** Distance from the vertical centre of a line of digits to its baseline, in em. */
export const centreToBaselineEm = 0.35;

/** Colours shared by the figures. */
export const colors = {
  text: "#222222",
  muted: "#777777",
  rule: "#bbbbbb",
  axis: "#444444",
  background: "#ffffff",
} as const;

/** Width in px of `content` set in the monospace font: one advance per terminal cell, so wide characters take 2. */
export function textWidth(content: string, fontSize: number): number {
  return displayWidth(content) * advanceEm * fontSize;
}

/** Width in px of `cells` monospace cells. */
export function cellsWidth(cells: number, fontSize: number): number {
  return cells * advanceEm * fontSize;
}

/** A label as drawn: cut to `maxCells` cells with "…", and the full label when it was cut. */
export interface FittedLabel {
  shown: string;
  /** The uncut label, shown as a tooltip; null when nothing was cut. */
  full: string | null;
}

/** `label` cut to at most `maxCells` monospace cells (see {@link FittedLabel}). */
export function fitLabel(label: string, maxCells: number): FittedLabel {
  const shown = truncateToWidth(label, maxCells);
  return { shown, full: shown === label ? null : label };
}

/**
 * A `<text>` element holding `label.shown`; when the label was cut, wrapped in a `<g>` whose
 * `<title>` child carries the full label (a tooltip in browsers).
 */
export function labelText(label: FittedLabel, attributes: Readonly<Record<string, AttributeValue>>): Markup {
  const node = element("text", attributes, text(label.shown));
  return label.full === null ? node : element("g", {}, element("title", {}, text(label.full)), node);
}

/** A `<text>` element with `content` escaped. */
export function textElement(content: string, attributes: Readonly<Record<string, AttributeValue>>): Markup {
  return element("text", attributes, text(content));
}

/** The widest of `labels` in cells (at least `floor`). */
export function widestCells(labels: readonly string[], floor = 0): number {
  return labels.reduce((widest, label) => Math.max(widest, displayWidth(label)), floor);
}
