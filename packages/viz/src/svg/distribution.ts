import { formatScore } from "../common/format-score.ts";
import { columnToken, type SequenceView } from "../common/sequence-view.ts";
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
import { element, formatNumber, join, type Markup, rgbString, text } from "./markup.ts";
import type { SvgSettings } from "./options.ts";

/**
 * One step's importance distribution, as ReAGent draws it: each token's share of the step's total
 * absolute attribution, |score| / Σ|score| over the row, so the shares are ≥ 0 and add up to 1.
 * Empty cells (null) and non-finite scores stay null and do not count; a row whose scores are all
 * zero stays all zero (it has no distribution to show).
 */
export function importanceDistribution(scores: readonly (number | null)[]): (number | null)[] {
  const finite = (score: number | null): score is number => score !== null && Number.isFinite(score);
  const total = scores.reduce<number>((sum, score) => sum + (finite(score) ? Math.abs(score) : 0), 0);
  return scores.map((score) => (finite(score) ? (total === 0 ? 0 : Math.abs(score) / total) : null));
}

/**
 * The importance-distribution panel of one sequence at the origin: one row per generated token
 * (labels left, the axis titled "Target"), and in each row one bar per earlier token (source, then
 * generated prefix) on a shared x axis of token labels, the bar's height the token's share (see
 * {@link importanceDistribution}; heights are relative to the largest share in the panel) and its
 * colour the signed score. Each bar's `<title>` names the token and its share.
 */
export function distributionPanel(view: SequenceView, settings: SvgSettings): Block {
  const { fontSize: f, maxTokenWidth, digits } = settings;
  const count = view.target.length;
  const title = heading(`sequence ${view.index} · importance distribution per generated token`, f);
  if (count === 0 || view.columns.length === 0) {
    const note = count === 0 ? "(no generated tokens)" : "(no attributed tokens)";
    return stack(
      [
        title,
        {
          markup: element("text", { x: 0, y: f, fill: colors.muted }, text(note)),
          width: textWidth(note, f),
          height: f * 1.4,
        },
      ],
      f * 0.5,
    );
  }
  const shares = view.cells.map((row) => importanceDistribution(row));
  const largest = Math.max(0, ...shares.flat().map((share) => share ?? 0));
  const rowHeight = f * 2;
  const barMax = f * 1.8;
  const slot = f * 1.5;
  const barWidth = slot * 0.7;
  const rowLabels = view.target.map((token) => fitLabel(token.label, maxTokenWidth));
  const axisTitleWidth = f * 1.6;
  const labelRight =
    axisTitleWidth +
    cellsWidth(
      widestCells(
        rowLabels.map((l) => l.shown),
        1,
      ),
      f,
    );
  const plotLeft = labelRight + f * 0.5;
  const plotWidth = view.columns.length * slot;
  const plotTop = f * 0.5;
  const plotBottom = plotTop + count * rowHeight;
  const pieces: Markup[] = [];

  // Row t's baseline is the bottom of its band; its bars rise from there.
  view.target.forEach((token, t) => {
    const baseline = plotTop + (t + 1) * rowHeight;
    pieces.push(
      labelText(rowLabels[t]!, {
        class: "row-label",
        x: labelRight,
        y: baseline - f * 0.3,
        "text-anchor": "end",
        fill: token.special ? colors.muted : colors.text,
      }),
      element("line", {
        x1: plotLeft,
        y1: baseline,
        x2: plotLeft + plotWidth,
        y2: baseline,
        stroke: colors.rule,
        "stroke-width": 1,
      }),
    );
    shares[t]!.forEach((share, c) => {
      if (share === null) return;
      const score = view.cells[t]![c] ?? null;
      const height = largest === 0 ? 0 : (share / largest) * barMax;
      const column = columnToken(view, view.columns[c]!);
      const fill = view.scale.colorOf(score);
      pieces.push(
        element(
          "g",
          { class: "bar", "data-row": t, "data-column": c, "data-share": String(share) },
          element(
            "title",
            {},
            text(
              `${column.label} → ${view.target[t]!.label}: share ${formatScore(share, digits)} (score ${formatScore(score, digits)})`,
            ),
          ),
          element("rect", {
            x: plotLeft + c * slot + (slot - barWidth) / 2,
            y: baseline - height,
            width: barWidth,
            height,
            fill: fill ? rgbString(fill) : colors.muted,
          }),
        ),
      );
    });
  });

  // Where the generated prefix starts on the x axis.
  const firstPrefix = view.columns.findIndex((column) => column.group === "prefix");
  if (firstPrefix > 0) {
    const x = plotLeft + firstPrefix * slot;
    pieces.push(
      element("line", {
        x1: x,
        y1: plotTop,
        x2: x,
        y2: plotBottom,
        stroke: colors.rule,
        "stroke-width": 1,
        "stroke-dasharray": "3 3",
      }),
    );
  }

  const columnLabels = view.columns.map((column) => {
    const token = columnToken(view, column);
    return { label: fitLabel(token.label, maxTokenWidth), special: token.special };
  });
  const tickLength = f * 0.3;
  const labelsTop = plotBottom + tickLength + f * 0.2;
  columnLabels.forEach(({ label, special }, c) => {
    const centre = plotLeft + c * slot + slot / 2;
    const anchorX = centre + f * centreToBaselineEm;
    pieces.push(
      element("line", {
        x1: centre,
        y1: plotBottom,
        x2: centre,
        y2: plotBottom + tickLength,
        stroke: colors.axis,
        "stroke-width": 1,
      }),
      labelText(label, {
        class: "column-label",
        x: anchorX,
        y: labelsTop,
        "text-anchor": "end",
        transform: `rotate(-90 ${formatNumber(anchorX)} ${formatNumber(labelsTop)})`,
        fill: special ? colors.muted : colors.text,
      }),
    );
  });
  const labelsHeight = cellsWidth(
    widestCells(
      columnLabels.map(({ label }) => label.shown),
      1,
    ),
    f,
  );
  const xTitle = "Importance distribution";
  const xTitleY = labelsTop + labelsHeight + f * 1.4;
  const yTitleX = f;
  const yTitleY = (plotTop + plotBottom) / 2;
  pieces.push(
    element("line", {
      x1: plotLeft,
      y1: plotTop,
      x2: plotLeft,
      y2: plotBottom,
      stroke: colors.axis,
      "stroke-width": 1,
    }),
    element(
      "text",
      { x: plotLeft + plotWidth / 2, y: xTitleY, "text-anchor": "middle", fill: colors.text },
      text(xTitle),
    ),
    element(
      "text",
      {
        x: yTitleX,
        y: yTitleY,
        "text-anchor": "middle",
        transform: `rotate(-90 ${formatNumber(yTitleX)} ${formatNumber(yTitleY)})`,
        fill: colors.text,
      },
      text("Target"),
    ),
  );
  const xTitleLeft = plotLeft + plotWidth / 2 - textWidth(xTitle, f) / 2;
  const body: Block = {
    markup: join(pieces),
    // The axis title may be wider than a few columns of bars: the panel grows to hold it.
    width: Math.max(plotLeft + plotWidth, plotLeft + plotWidth / 2 + textWidth(xTitle, f) / 2),
    height: xTitleY + f * 0.4,
  };
  if (xTitleLeft < 0) {
    body.markup = element("g", { transform: `translate(${formatNumber(-xTitleLeft)} 0)` }, body.markup);
    body.width -= xTitleLeft;
  }
  const note: Block = {
    markup: element(
      "text",
      { x: 0, y: f, fill: colors.muted },
      text("bar height: share of the row's total |attribution| · colour: attribution score"),
    ),
    width: textWidth("bar height: share of the row's total |attribution| · colour: attribution score", f),
    height: f * 1.4,
  };
  return stack([title, body, note, legend(view.scale, f, digits)], f * 0.8);
}
