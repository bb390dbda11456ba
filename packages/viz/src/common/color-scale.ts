import { interpolateRdBu, interpolateYlOrRd } from "d3-scale-chromatic";

/** A colour as 0–255 red, green and blue channels. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Which colour map: "diverging" for signed scores, "sequential" for scores that are all ≥ 0. */
export type ScaleKind = "diverging" | "sequential";

/** How scores become colours in one view. */
export interface ColorScale {
  kind: ScaleKind;
  /** The score painted with the first colour of the map (−max|score| for a diverging map). */
  low: number;
  /** The score painted with the last colour of the map. */
  high: number;
  /** The smallest and largest finite score the scale was made from; null when there was none. */
  dataMin: number | null;
  dataMax: number | null;
  /** The background colour of a score; null for an empty cell or a non-finite score. */
  colorOf(score: number | null | undefined): Rgb | null;
}

/** Parses d3's "rgb(r, g, b)" colour strings. */
export function parseRgb(css: string): Rgb {
  const match = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (!match) throw new Error(`unexpected colour string from d3-scale-chromatic: ${css}`);
  return { r: Number(match[1]), g: Number(match[2]), b: Number(match[3]) };
}

/**
 * The colour at position `t` in [0, 1] of a map. Diverging: red–white–blue
 * reversed so that positive scores are red and negative blue, and t = 0.5
 * (a zero score) is the map's pale centre. Sequential: yellow to dark red.
 */
export function mapColor(kind: ScaleKind, t: number): Rgb {
  const clamped = Math.min(1, Math.max(0, t));
  return parseRgb(kind === "diverging" ? interpolateRdBu(1 - clamped) : interpolateYlOrRd(clamped));
}

/**
 * A colour scale for `scores`: with "auto", diverging and centred at 0 over a
 * symmetric range ±max|score| when any score is negative, else sequential
 * from 0 to the largest score. Empty cells and non-finite scores do not count.
 */
export function makeColorScale(
  scores: Iterable<number | null | undefined>,
  kind: ScaleKind | "auto" = "auto",
): ColorScale {
  let dataMin: number | null = null;
  let dataMax: number | null = null;
  for (const score of scores) {
    if (score === null || score === undefined || !Number.isFinite(score)) continue;
    dataMin = dataMin === null ? score : Math.min(dataMin, score);
    dataMax = dataMax === null ? score : Math.max(dataMax, score);
  }
  const resolved: ScaleKind = kind === "auto" ? ((dataMin ?? 0) < 0 ? "diverging" : "sequential") : kind;
  const maxAbs = Math.max(Math.abs(dataMin ?? 0), Math.abs(dataMax ?? 0));
  const low = resolved === "diverging" ? -maxAbs : Math.min(0, dataMin ?? 0);
  const high = resolved === "diverging" ? maxAbs : Math.max(0, dataMax ?? 0);
  const span = high - low;
  return {
    kind: resolved,
    low,
    high,
    dataMin,
    dataMax,
    colorOf(score) {
      if (score === null || score === undefined || !Number.isFinite(score)) return null;
      // All scores equal (often all zero): the centre of a diverging map, the start of a sequential one.
      if (span === 0) return mapColor(resolved, resolved === "diverging" ? 0.5 : 0);
      return mapColor(resolved, (score - low) / span);
    },
  };
}

function channelLuminance(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a colour, 0 (black) to 1 (white). */
export function relativeLuminance({ r, g, b }: Rgb): number {
  return 0.2126 * channelLuminance(r) + 0.7152 * channelLuminance(g) + 0.0722 * channelLuminance(b);
}

/**
 * Black or white, whichever contrasts more with `background` (WCAG contrast
 * ratio): above a luminance of about 0.179 black wins.
 */
export function contrastingText(background: Rgb): Rgb {
  const luminance = relativeLuminance(background);
  const againstBlack = (luminance + 0.05) / 0.05;
  const againstWhite = 1.05 / (luminance + 0.05);
  return againstBlack >= againstWhite ? { r: 0, g: 0, b: 0 } : { r: 255, g: 255, b: 255 };
}
