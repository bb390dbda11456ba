import { contrastingText } from "../common/color-scale.ts";
import { formatScore } from "../common/format-score.ts";
import { columnToken, type SequenceView } from "../common/sequence-view.ts";
import { heading, stack } from "./document.ts";
import {
  advanceEm,
  cellsWidth,
  centreToBaselineEm,
  colors,
  type FittedLabel,
  fitLabel,
  labelText,
  textWidth,
  widestCells,
} from "./layout.ts";
import { type Block, legend } from "./legend.ts";
import { element, join, type Markup, rgbString, text } from "./markup.ts";
import type { SvgSettings } from "./options.ts";

interface HeatmapColumn {
  header: FittedLabel;
  special: boolean;
  /** Index of the column in the view's matrix; null for a step-score column. */
  matrixColumn: number | null;
  values: string[];
  /** The scores behind the values, for colouring; null for a step-score column, which stays uncoloured. */
  scores: (number | null)[] | null;
  width: number;
}

/** Consecutive columns under one caption ("source", "generated", "step scores"). */
interface ColumnRun {
  caption: string;
  columns: HeatmapColumn[];
  /** Left edge, set once the runs are placed. */
  x: number;
}

/** Everything of a heatmap's geometry that depends only on the font size. */
function metrics(fontSize: number) {
  const f = fontSize;
  return {
    pad: f * 0.5,
    cellHeight: f * 1.7,
    minCellWidth: f * 1.8,
    captionHeight: f * 1.3,
  };
}

function columnRuns(view: SequenceView, settings: SvgSettings): ColumnRun[] {
  const { digits, maxTokenWidth, fontSize } = settings;
  const { pad, minCellWidth } = metrics(fontSize);
  const valueWidth = (values: readonly string[]) =>
    Math.max(minCellWidth, cellsWidth(widestCells(values), fontSize) + 2 * pad);
  const matrix = view.columns.map((column, c): HeatmapColumn => {
    const token = columnToken(view, column);
    const scores = view.cells.map((row) => row[c] ?? null);
    return {
      header: fitLabel(token.label, maxTokenWidth),
      special: token.special,
      matrixColumn: c,
      scores,
      values: scores.map((score) => formatScore(score, digits)),
      width: 0,
    };
  });
  // One width for every matrix cell, from the widest formatted value, so the grid stays regular.
  const matrixWidth = valueWidth(matrix.flatMap((column) => column.values));
  for (const column of matrix) column.width = matrixWidth;
  const steps = view.stepScores.map((stepScore): HeatmapColumn => {
    const values = stepScore.values.map((value) => formatScore(value, digits));
    return {
      header: fitLabel(stepScore.label, maxTokenWidth),
      special: false,
      matrixColumn: null,
      scores: null,
      values,
      width: valueWidth(values),
    };
  });
  // Step-score columns are uncoloured: widen the last one so that its caption is read whole.
  const stepsCaptionWidth = cellsWidth("step scores".length, fontSize) + pad;
  const stepsWidth = steps.reduce((sum, column) => sum + column.width, 0);
  const lastStep = steps.at(-1);
  if (lastStep && stepsWidth < stepsCaptionWidth) lastStep.width += stepsCaptionWidth - stepsWidth;
  const runs: ColumnRun[] = [
    { caption: "source", columns: matrix.filter((_, c) => view.columns[c]!.group === "source"), x: 0 },
    { caption: "generated", columns: matrix.filter((_, c) => view.columns[c]!.group === "prefix"), x: 0 },
    { caption: "step scores", columns: steps, x: 0 },
  ];
  return runs.filter((run) => run.columns.length > 0);
}

function runWidth(run: ColumnRun): number {
  return run.columns.reduce((sum, column) => sum + column.width, 0);
}

/** The caption over a run of columns, with a rule under it; cut to the run's width. */
function caption(run: ColumnRun, fontSize: number): Markup {
  const width = runWidth(run);
  const label = fitLabel(run.caption, Math.max(1, Math.floor(width / (advanceEm * fontSize))));
  return join([
    labelText(label, { x: run.x, y: fontSize, fill: colors.muted }),
    element("line", {
      x1: run.x + 1,
      y1: fontSize * 1.25,
      x2: run.x + width - 1,
      y2: fontSize * 1.25,
      stroke: colors.rule,
      "stroke-width": 1,
    }),
  ]);
}

/**
 * One sequence's heatmap panel at the origin: a heading, then rows of generated tokens (labels left)
 * against columns of source tokens, generated-prefix tokens and step scores (headers rotated), each
 * matrix cell filled with its colour and printing its score, and the legend below.
 */
export function heatmapPanel(view: SequenceView, settings: SvgSettings): Block {
  const { fontSize: f, maxTokenWidth } = settings;
  const { pad, cellHeight, captionHeight } = metrics(f);
  const count = view.target.length;
  const title = heading(
    `sequence ${view.index} · ${view.source.length} source → ${count} generated token${count === 1 ? "" : "s"}`,
    f,
  );
  if (count === 0) {
    const note: Block = {
      markup: element("text", { x: 0, y: f, fill: colors.muted }, text("(no generated tokens)")),
      width: textWidth("(no generated tokens)", f),
      height: f * 1.4,
    };
    return stack([title, note], pad);
  }
  const rowLabels = view.target.map((token) => fitLabel(token.label, maxTokenWidth));
  const labelWidth = cellsWidth(
    widestCells(
      rowLabels.map((label) => label.shown),
      1,
    ),
    f,
  );
  const runs = columnRuns(view, settings);
  let x = labelWidth + pad;
  for (const run of runs) {
    run.x = x;
    x += runWidth(run) + pad;
  }
  const gridRight = x - pad;
  const headerCells = widestCells(
    runs.flatMap((run) => run.columns.map((column) => column.header.shown)),
    1,
  );
  const headerTop = captionHeight + f * 0.3;
  const headerHeight = cellsWidth(headerCells, f) + pad;
  const gridTop = headerTop + headerHeight + f * 0.2;
  const pieces: Markup[] = [];

  rowLabels.forEach((label, t) => {
    const y = gridTop + t * cellHeight + cellHeight / 2 + f * centreToBaselineEm;
    const fill = view.target[t]!.special ? colors.muted : colors.text;
    pieces.push(labelText(label, { class: "row-label", x: labelWidth, y, "text-anchor": "end", fill }));
  });

  for (const run of runs) {
    pieces.push(caption(run, f));
    let columnX = run.x;
    for (const column of run.columns) {
      const width = column.width;
      const centre = columnX + width / 2;
      const anchorX = centre + f * centreToBaselineEm;
      const anchorY = headerTop + headerHeight - pad / 2;
      pieces.push(
        labelText(column.header, {
          class: "column-header",
          x: anchorX,
          y: anchorY,
          transform: `rotate(-90 ${round(anchorX)} ${round(anchorY)})`,
          fill: column.special ? colors.muted : colors.text,
        }),
      );
      column.values.forEach((value, t) => {
        if (value === "") return;
        const top = gridTop + t * cellHeight;
        const background = column.scores ? view.scale.colorOf(column.scores[t]) : null;
        const textY = top + cellHeight / 2 + f * centreToBaselineEm;
        const cell = [
          ...(background
            ? [
                element("rect", {
                  x: columnX,
                  y: top,
                  width,
                  height: cellHeight,
                  fill: rgbString(background),
                  stroke: colors.background,
                  "stroke-width": 1,
                }),
              ]
            : []),
          element(
            "text",
            {
              x: centre,
              y: textY,
              "text-anchor": "middle",
              fill: background ? rgbString(contrastingText(background)) : colors.text,
            },
            text(value),
          ),
        ];
        pieces.push(
          element(
            "g",
            {
              class: column.scores ? "cell" : "step-score",
              "data-row": t,
              "data-column": column.matrixColumn ?? undefined,
            },
            ...cell,
          ),
        );
      });
      columnX += width;
    }
    pieces.push(
      element("rect", {
        x: run.x,
        y: gridTop,
        width: runWidth(run),
        height: count * cellHeight,
        fill: "none",
        stroke: colors.rule,
        "stroke-width": 1,
      }),
    );
  }

  const gridBottom = gridTop + count * cellHeight;
  const body: Block = { markup: join(pieces), width: gridRight, height: gridBottom };
  const blocks = [title, body];
  if (view.columns.length > 0) blocks.push(legend(view.scale, f, settings.digits));
  return stack(blocks, f * 0.8);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
