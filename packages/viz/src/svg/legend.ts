import type { ColorScale } from "../common/color-scale.ts";
import { mapColor } from "../common/color-scale.ts";
import { formatScore } from "../common/format-score.ts";
import { centreToBaselineEm, colors, textWidth } from "./layout.ts";
import { element, join, type Markup, rgbString, text } from "./markup.ts";

/** A drawn piece of a figure: markup placed at the origin, and the box it takes. */
export interface Block {
  markup: Markup;
  width: number;
  height: number;
}

/** Slices of the colour bar; drawn as rects rather than a gradient so that no element needs an id. */
const slices = 48;

/**
 * The colour legend of a figure, at the origin: a caption, a colour bar painted with the scale's map
 * (as thin slices, so the figure needs no `id` and can be inlined many times in one page), ticks at
 * the scale's low end, 0 (when inside the range) and high end, and the smallest and largest score.
 */
export function legend(scale: ColorScale, fontSize: number, digits: number, caption = "attribution"): Block {
  const f = fontSize;
  const lineHeight = f * 1.4;
  if (scale.dataMin === null || scale.dataMax === null) {
    const note = `${caption}: no scores`;
    return {
      markup: element("text", { x: 0, y: f, fill: colors.muted }, text(note)),
      width: textWidth(note, f),
      height: lineHeight,
    };
  }
  const captionWidth = textWidth(`${caption} `, f);
  const barX = captionWidth;
  const barWidth = f * 16;
  const barHeight = f;
  const sliceWidth = barWidth / slices;
  const pieces: Markup[] = [
    element("text", { x: 0, y: barHeight / 2 + f * centreToBaselineEm, fill: colors.text }, text(caption)),
  ];
  for (let i = 0; i < slices; i++) {
    pieces.push(
      element("rect", {
        x: barX + i * sliceWidth,
        y: 0,
        // Overlap the next slice a little so no seam shows between them.
        width: sliceWidth + (i < slices - 1 ? 0.5 : 0),
        height: barHeight,
        fill: rgbString(mapColor(scale.kind, (i + 0.5) / slices)),
      }),
    );
  }
  pieces.push(
    element("rect", {
      x: barX,
      y: 0,
      width: barWidth,
      height: barHeight,
      fill: "none",
      stroke: colors.rule,
      "stroke-width": 1,
    }),
  );
  const ticks = [scale.low, ...(scale.low < 0 && scale.high > 0 ? [0] : []), scale.high];
  const span = scale.high - scale.low;
  const tickLabelY = barHeight + f * 0.3 + f;
  let right = barX + barWidth;
  ticks.forEach((value, i) => {
    const position = span === 0 ? (i === 0 ? 0 : 1) : (value - scale.low) / span;
    const x = barX + position * barWidth;
    const label = formatScore(value, digits);
    const anchor = i === 0 ? "start" : i === ticks.length - 1 ? "end" : "middle";
    pieces.push(
      element("line", {
        x1: x,
        y1: barHeight,
        x2: x,
        y2: barHeight + f * 0.3,
        stroke: colors.axis,
        "stroke-width": 1,
      }),
      element("text", { x, y: tickLabelY, "text-anchor": anchor, fill: colors.text }, text(label)),
    );
    if (anchor === "start") right = Math.max(right, x + textWidth(label, f));
  });
  const extremes = `min ${formatScore(scale.dataMin, digits)} · max ${formatScore(scale.dataMax, digits)}`;
  const extremesX = right + f;
  pieces.push(
    element(
      "text",
      { x: extremesX, y: barHeight / 2 + f * centreToBaselineEm, fill: colors.muted },
      text(extremes),
    ),
  );
  return {
    markup: join(pieces),
    width: extremesX + textWidth(extremes, f),
    height: tickLabelY + f * 0.4,
  };
}
