import {
  type AttributionResult,
  type SequenceAttribution,
  stepFunctionRegistry,
  type Token,
  TokenscopeError,
} from "@tokenscope/core";
import { type ColorScale, makeColorScale, type ScaleKind } from "../common/color-scale.ts";
import { displayInline, tokenLabel } from "../common/display-token.ts";
import { formatScore } from "../common/format-score.ts";
import {
  checkColumns,
  checkDigits,
  checkPositiveInteger,
  checkScale,
  defaultColumns,
  pickSequences,
  pickStepScores,
} from "../common/options.ts";
import { displayWidth, padEndToWidth, padStartToWidth, truncateToWidth } from "../common/text-width.ts";
import { type Ansis, type ColorOption, resolveColor } from "./color.ts";
import { type ColumnGroup, type LayoutColumn, packColumns } from "./heatmap-layout.ts";
import { renderLegend } from "./legend.ts";
import { paint } from "./paint.ts";

/** Options of {@link renderHeatmap}. */
export interface HeatmapOptions {
  /** Colours: an ansis instance or a level (0 plain text, 3 truecolour); default: ansis's detection. */
  color?: ColorOption;
  /** Digits after the decimal point of every score; default 2. */
  digits?: number;
  /** Terminal width; a wider table is split into stacked blocks of columns. Default 80; Infinity for no limit. */
  columns?: number;
  /** Show the target-prefix columns (attribution to earlier generated tokens) when the result has them; default true. */
  showTargetPrefix?: boolean;
  /** Step scores shown in right-hand columns, by id; default every step score of the sequence. */
  stepScores?: readonly string[];
  /** Only this sequence (index); default every sequence. */
  sequence?: number;
  /** Colour map: "auto" (diverging when any score is negative, else sequential), or forced. Default "auto". */
  scale?: ScaleKind | "auto";
  /** Widest a token label may be before it is cut with "…"; default 12. */
  maxTokenWidth?: number;
}

interface HeatmapColumn extends LayoutColumn {
  header: string;
  special: boolean;
  cells: string[];
  /** The scores behind the cells, for colouring; null for step-score columns, which stay uncoloured. */
  scores: (number | null)[] | null;
}

interface Settings {
  color: Ansis;
  digits: number;
  columns: number;
  showTargetPrefix: boolean;
  stepScores: readonly string[] | undefined;
  scale: ScaleKind | "auto";
  maxTokenWidth: number;
}

const groupNames: Record<ColumnGroup, string> = {
  source: "source",
  prefix: "generated",
  steps: "step scores",
};

const caller = "renderHeatmap";

function matrixColumns(
  sequence: SequenceAttribution,
  showTargetPrefix: boolean,
  digits: number,
): HeatmapColumn[] {
  const rows = sequence.target.length;
  const column = (group: ColumnGroup, token: Token, special: boolean, scores: (number | null)[]) => ({
    group,
    header: tokenLabel(token),
    special,
    scores,
    cells: scores.map((score) => formatScore(score, digits)),
    width: 0,
  });
  const source = sequence.source.map((token, s) =>
    column(
      "source",
      token,
      token.special,
      Array.from({ length: rows }, (_, t) => sequence.sourceAttributions[t]?.[s] ?? null),
    ),
  );
  const prefix = showTargetPrefix ? sequence.targetAttributions : null;
  if (!prefix) return source;
  // Cells at or after their own step are empty by definition (a token cannot attribute to itself or later ones).
  const targets = sequence.target.map((token, u) =>
    column(
      "prefix",
      token,
      token.special,
      Array.from({ length: rows }, (_, t) => (u < t ? (prefix[t]?.[u] ?? null) : null)),
    ),
  );
  return [...source, ...targets];
}

function stepColumns(sequence: SequenceAttribution, ids: readonly string[], digits: number): HeatmapColumn[] {
  return ids.map((id) => ({
    group: "steps",
    header: displayInline(id),
    special: false,
    scores: null,
    cells: sequence.target.map((_, t) => formatScore(sequence.stepScores[id]?.[t], digits)),
    width: 0,
  }));
}

function maxWidth(texts: readonly string[], floor: number): number {
  return texts.reduce((widest, text) => Math.max(widest, displayWidth(text)), floor);
}

/**
 * Sets each column's width and returns the row-label width so that the
 * widest column fits the terminal beside the labels: labels and headers are
 * cut with "…" before anything else, numbers never.
 */
function fitWidths(columns: HeatmapColumn[], labels: readonly string[], settings: Settings): number {
  const matrixScoreWidth = maxWidth(
    columns.filter((column) => column.scores).flatMap((column) => column.cells),
    1,
  );
  const naturalLabelWidth = Math.min(settings.maxTokenWidth, maxWidth(labels, 1));
  // A block needs the labels, a space, a rule and a cell's two padding spaces.
  const headerCap = Math.min(settings.maxTokenWidth, settings.columns - 4 - Math.min(naturalLabelWidth, 3));
  for (const column of columns) {
    const content = column.scores ? matrixScoreWidth : maxWidth(column.cells, 1);
    column.width = Math.max(content, Math.min(displayWidth(column.header), headerCap));
  }
  const widest = columns.reduce((widestColumn, column) => Math.max(widestColumn, column.width), 0);
  const labelWidth = Math.min(naturalLabelWidth, settings.columns - 4 - widest);
  if (labelWidth < 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: a column ${widest} characters wide does not fit in ${settings.columns} columns beside the row labels.`,
      {
        hint: `Pass columns of at least ${widest + 5}, or fewer digits.`,
        details: { columns: settings.columns, widestColumn: widest },
      },
    );
  }
  return labelWidth;
}

function styleLabel(color: Ansis, text: string, special: boolean): string {
  return special ? color.dim(text) : text;
}

/** Consecutive columns of one group: each run gets one rule on its left. */
function groupRuns(block: readonly HeatmapColumn[]): HeatmapColumn[][] {
  const runs: HeatmapColumn[][] = [];
  for (const column of block) {
    const run = runs.at(-1);
    if (run && run[0]!.group === column.group) run.push(column);
    else runs.push([column]);
  }
  return runs;
}

function runWidth(run: readonly HeatmapColumn[]): number {
  return run.reduce((sum, column) => sum + column.width + 2, 0);
}

function headerCell(column: HeatmapColumn, color: Ansis): string {
  const label = padStartToWidth(truncateToWidth(column.header, column.width), column.width);
  return ` ${styleLabel(color, label, column.special)} `;
}

function bodyCell(column: HeatmapColumn, row: number, scale: ColorScale, color: Ansis): string {
  const background = column.scores ? scale.colorOf(column.scores[row]) : null;
  return paint(color, background, ` ${padStartToWidth(column.cells[row]!, column.width)} `);
}

/** One block of a heatmap: group names, token headers, a rule, then one line per generated token. */
function renderBlock(
  block: readonly HeatmapColumn[],
  sequence: SequenceAttribution,
  labels: readonly string[],
  labelWidth: number,
  scale: ColorScale,
  color: Ansis,
): string[] {
  const runs = groupRuns(block);
  const labelPad = " ".repeat(labelWidth + 1);
  const groupName = (run: HeatmapColumn[]) =>
    padEndToWidth(truncateToWidth(` ${groupNames[run[0]!.group]}`, runWidth(run)), runWidth(run));
  const groups = labelPad + runs.map((run) => `│${groupName(run)}`).join("");
  const headers =
    labelPad + runs.map((run) => `│${run.map((column) => headerCell(column, color)).join("")}`).join("");
  const rule = "─".repeat(labelWidth + 1) + runs.map((run) => `┼${"─".repeat(runWidth(run))}`).join("");
  const rows = sequence.target.map((token, t) => {
    const label = styleLabel(color, truncateToWidth(labels[t]!, labelWidth), token.special);
    const cells = runs.map((run) => `│${run.map((column) => bodyCell(column, t, scale, color)).join("")}`);
    return `${padEndToWidth(label, labelWidth)} ${cells.join("")}`;
  });
  return [groups, headers, rule, ...rows];
}

function sequenceHeatmap(sequence: SequenceAttribution, index: number, settings: Settings): string[] {
  const { color, columns: lineWidth, digits } = settings;
  const title = color.bold(
    truncateToWidth(
      `Sequence ${index} · ${sequence.source.length} source → ${sequence.target.length} generated token${sequence.target.length === 1 ? "" : "s"}`,
      lineWidth,
    ),
  );
  if (sequence.target.length === 0) return [title, "(no generated tokens)"];
  const ids = pickStepScores(sequence, index, settings.stepScores, caller);
  const matrix = matrixColumns(sequence, settings.showTargetPrefix, digits);
  const columns = [...matrix, ...stepColumns(sequence, ids, digits)];
  const labels = sequence.target.map((token) => tokenLabel(token));
  const labelWidth = fitWidths(columns, labels, settings);
  const scale = makeColorScale(
    matrix.flatMap((column) => column.scores ?? []),
    settings.scale,
  );
  const lines = [title];
  packColumns(columns, labelWidth, lineWidth).forEach((indices, blockIndex) => {
    if (blockIndex > 0) lines.push("");
    const block = indices.map((i) => columns[i]!);
    lines.push(...renderBlock(block, sequence, labels, labelWidth, scale, color));
  });
  if (matrix.length > 0) lines.push(renderLegend(scale, color, digits, lineWidth));
  const units = stepScoreUnits(ids);
  if (units) lines.push(truncateToWidth(color.dim(units), lineWidth));
  return lines;
}

/** Units that are not self-evident (probabilities and logits are), so no value is read in the wrong base. */
const evidentUnits = new Set(["probability", "logit"]);

/**
 * "entropy in nats · perplexity in tokens (e^crossentropy, base e)": the unit of each shown step score
 * whose registered step function names one beyond the evident, or "" when there is none to say.
 */
export function stepScoreUnits(ids: readonly string[]): string {
  const parts = ids.flatMap((id) => {
    if (!stepFunctionRegistry.has(id)) return [];
    const { unit } = stepFunctionRegistry.get(id);
    return evidentUnits.has(unit) ? [] : [`${displayInline(id)} in ${displayInline(unit)}`];
  });
  return parts.join(" · ");
}

/**
 * A terminal heatmap of a result: per sequence, rows are the generated
 * (target) tokens and columns the source tokens, then (after a vertical rule)
 * the target-prefix tokens, then the chosen step scores. Each cell prints its
 * score on a background colour: a red–blue map centred at 0 over a symmetric
 * range for signed scores, yellow to red for scores that are all ≥ 0, with
 * black or white text for contrast; empty cells are blank. Token labels are
 * escaped (see {@link displayToken}), special tokens dimmed, long labels cut
 * with "…". A table wider than `columns` is split into blocks of columns
 * stacked one under the other, each repeating the row labels, so no line is
 * wider than `columns`. A legend line (scale ends, 0, smallest and largest
 * score) closes each table. With `color: 0` the output is plain, readable text
 * with the same numbers. Returns the text, ending in a newline; prints nothing.
 */
export function renderHeatmap(result: AttributionResult, options: HeatmapOptions = {}): string {
  const settings: Settings = {
    color: resolveColor(options.color, caller),
    digits: checkDigits(options.digits ?? 2, caller),
    columns: checkColumns(options.columns ?? defaultColumns, caller),
    showTargetPrefix: options.showTargetPrefix ?? true,
    stepScores: options.stepScores,
    scale: checkScale(options.scale ?? "auto", caller),
    maxTokenWidth: checkPositiveInteger(options.maxTokenWidth ?? 12, "maxTokenWidth", caller),
  };
  const sequences = pickSequences(result, options.sequence, caller);
  const lines = sequences.flatMap(({ index, sequence }, i) => [
    ...(i > 0 ? [""] : []),
    ...sequenceHeatmap(sequence, index, settings),
  ]);
  // Plain trailing spaces only: a coloured cell ends in an escape code, so its padding stays.
  return `${lines.map((line) => line.replace(/ +$/, "")).join("\n")}\n`;
}
