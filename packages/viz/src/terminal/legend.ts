import { type ColorScale, mapColor } from "../common/color-scale.ts";
import { formatScore } from "../common/format-score.ts";
import { displayWidth, truncateToWidth } from "../common/text-width.ts";
import type { Ansis } from "./color.ts";
import { paint } from "./paint.ts";

/** The most swatches a colour bar gets (a diverging bar gets this many on each side of 0). */
const maxSwatches = 12;

function swatches(color: Ansis, scale: ColorScale, from: number, to: number, count: number): string {
  let bar = "";
  for (let i = 0; i < count; i++)
    bar += paint(color, mapColor(scale.kind, from + ((to - from) * (i + 0.5)) / count), " ");
  return bar;
}

function colorBar(color: Ansis, scale: ColorScale, perSide: number): string {
  if (scale.kind === "sequential") return swatches(color, scale, 0, 1, perSide * 2);
  return `${swatches(color, scale, 0, 0.5, perSide)}${paint(color, mapColor(scale.kind, 0.5), "0")}${swatches(color, scale, 0.5, 1, perSide)}`;
}

/**
 * One line under a view saying what the colours mean: the scale's ends (and
 * 0 in the middle of a diverging scale) around a colour bar, then the smallest
 * and largest score shown. In plain mode the bar is "…" and the numbers stay,
 * so the line still says which range the scores span. Fits in `columns`.
 */
export function renderLegend(scale: ColorScale, color: Ansis, digits: number, columns: number): string {
  if (scale.dataMin === null || scale.dataMax === null) return truncateToWidth("no scores", columns);
  const low = formatScore(scale.low, digits);
  const high = formatScore(scale.high, digits);
  const extremes = ` · min ${formatScore(scale.dataMin, digits)} · max ${formatScore(scale.dataMax, digits)}`;
  if (color.level === 0) {
    const middle = scale.kind === "diverging" ? " … 0 … " : " … ";
    return truncateToWidth(`scale ${low}${middle}${high}${extremes}`, columns);
  }
  const ends = displayWidth(low) + displayWidth(high) + 2 + (scale.kind === "diverging" ? 1 : 0);
  for (const suffix of [extremes, ""]) {
    const room = columns - ends - displayWidth(suffix);
    const perSide = Math.min(maxSwatches, Math.floor(room / 2));
    if (perSide >= 2) return `${low} ${colorBar(color, scale, perSide)} ${high}${suffix}`;
  }
  return truncateToWidth(`${low} … ${high}`, columns);
}
