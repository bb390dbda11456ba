import { formatScore } from "../common/format-score.ts";
import type { SequenceView } from "../common/sequence-view.ts";
import { heading, stack } from "./document.ts";
import {
  cellsWidth,
  centreToBaselineEm,
  colors,
  fitLabel,
  labelText,
  textWidth,
  widestCells,
} from "./layout.ts";
import { type Block, legend } from "./legend.ts";
import { element, join, type Markup, rgbString, text } from "./markup.ts";
import { resolveStep, type SvgSettings } from "./options.ts";
import { stepEntries, stepScale } from "./step-row.ts";

/**
 * The bar-chart panel of one sequence at the origin: one generated token's attribution (`step`,
 * default the last) as one horizontal bar per source and generated-prefix token (labels left), drawn
 * from a vertical zero axis, negative scores to the left and positive to the right, lengths relative
 * to the largest |score|, each bar coloured by the step's colour scale and its score printed beside
 * it; a legend below.
 */
export function barChartPanel(view: SequenceView, settings: SvgSettings): Block {
  const { fontSize: f, maxTokenWidth, digits } = settings;
  const step = resolveStep(view, settings.step);
  if (step === null) {
    return stack(
      [
        heading(`sequence ${view.index}`, f),
        {
          markup: element("text", { x: 0, y: f, fill: colors.muted }, text("(no generated tokens)")),
          width: textWidth("(no generated tokens)", f),
          height: f * 1.4,
        },
      ],
      f * 0.5,
    );
  }
  const entries = stepEntries(view, step);
  const scale = stepScale(entries, settings.scale);
  const title = heading(
    `sequence ${view.index} · step ${step}: ${fitLabel(view.target[step]!.label, maxTokenWidth).shown}`,
    f,
  );
  const finite = entries.map((entry) =>
    entry.score !== null && Number.isFinite(entry.score) ? entry.score : null,
  );
  const values = entries.map((entry) => formatScore(entry.score, digits));
  const hasNegative = finite.some((score) => score !== null && score < 0);
  const hasPositive = !hasNegative || finite.some((score) => score !== null && score > 0);
  const maxAbs = Math.max(0, ...finite.map((score) => Math.abs(score ?? 0)));
  const labels = entries.map((entry) => fitLabel(entry.token.label, maxTokenWidth));
  const labelWidth = cellsWidth(
    widestCells(
      labels.map((label) => label.shown),
      1,
    ),
    f,
  );
  const valueGap = f * 0.3;
  const valueWidth = cellsWidth(widestCells(values, 1), f) + valueGap;
  // Each side is as long as its longest bar, so a chart of mostly positive scores wastes no room on the left.
  const side = f * 14;
  const sideLength = (sign: 1 | -1) =>
    maxAbs === 0 ? side : (Math.max(0, ...finite.map((score) => (score ?? 0) * sign)) / maxAbs) * side;
  const left = labelWidth + f;
  const axisX = left + (hasNegative ? valueWidth + sideLength(-1) : 0);
  const right = axisX + (hasPositive ? sideLength(1) + valueWidth : 0);
  const rowHeight = f * 1.6;
  const barHeight = f * 1.1;
  const pieces: Markup[] = [];
  entries.forEach((entry, i) => {
    const top = i * rowHeight;
    const textY = top + rowHeight / 2 + f * centreToBaselineEm;
    pieces.push(
      labelText(labels[i]!, {
        class: "row-label",
        x: labelWidth,
        y: textY,
        "text-anchor": "end",
        fill: entry.token.special ? colors.muted : entry.group === "prefix" ? "#555555" : colors.text,
      }),
    );
    const score = finite[i]!;
    const length = score === null || maxAbs === 0 ? 0 : (Math.abs(score) / maxAbs) * side;
    const negative = score !== null && score < 0;
    const fill = scale.colorOf(entry.score);
    const bar: Markup[] = [];
    if (score !== null && length > 0) {
      bar.push(
        element("rect", {
          x: negative ? axisX - length : axisX,
          y: top + (rowHeight - barHeight) / 2,
          width: length,
          height: barHeight,
          fill: fill ? rgbString(fill) : colors.muted,
        }),
      );
    }
    if (values[i] !== "") {
      bar.push(
        element(
          "text",
          {
            x: negative ? axisX - length - valueGap : axisX + length + valueGap,
            y: textY,
            "text-anchor": negative ? "end" : "start",
            fill: colors.text,
          },
          text(values[i]!),
        ),
      );
    }
    pieces.push(element("g", { class: "bar", "data-column": entry.column }, ...bar));
  });
  // A thin rule where the generated prefix starts.
  const firstPrefix = entries.findIndex((entry) => entry.group === "prefix");
  if (firstPrefix > 0) {
    pieces.push(
      element("line", {
        x1: 0,
        y1: firstPrefix * rowHeight,
        x2: right,
        y2: firstPrefix * rowHeight,
        stroke: colors.rule,
        "stroke-width": 1,
        "stroke-dasharray": "3 3",
      }),
    );
  }
  const height = Math.max(1, entries.length) * rowHeight;
  pieces.push(
    element("line", {
      class: "zero-axis",
      x1: axisX,
      y1: 0,
      x2: axisX,
      y2: height,
      stroke: colors.axis,
      "stroke-width": 1,
    }),
  );
  const chart: Block = { markup: join(pieces), width: right, height };
  return stack([title, chart, legend(scale, f, digits, `attribution of step ${step}`)], f * 0.8);
}
