import { type AttributionResult, type SequenceAttribution, TokenscopeError } from "@tokenscope/core";
import { type ContrastTokenView, contrastView } from "../common/contrast-view.ts";
import { formatScore } from "../common/format-score.ts";
import {
  checkColumns,
  checkDigits,
  checkPositiveInteger,
  defaultColumns,
  pickSequences,
} from "../common/options.ts";
import { displayWidth, padEndToWidth, truncateStartToWidth, truncateToWidth } from "../common/text-width.ts";
import { type ColorOption, resolveColor } from "./color.ts";

/** Options of {@link renderContrastDiff}. */
export interface ContrastDiffOptions {
  /** Which sequence (index); default 0. It must have a contrast (a contrastive run records one). */
  sequence?: number;
  /** Colours (differing tokens bold magenta): an ansis instance or a level; default: ansis's detection. */
  color?: ColorOption;
  /** Terminal width: the rows are wrapped into blocks at column boundaries. Default 80; Infinity for no limit. */
  columns?: number;
  /** Digits after the decimal point of the attributed function's values; default 2. */
  digits?: number;
  /** Widest a token label may be before it is cut with "…"; default 12. */
  maxTokenWidth?: number;
}

const caller = "renderContrastDiff";

/** Stands in for the target of a contrast token no target token faces. */
const noTarget = "·";
/** Stands in for a contrast token the alignment does not name (a damaged record). */
const noContrast = "?";
/** The width of the row label "contrast", which is never cut unless the line is too narrow for it. */
const minLabelWidth = 8;
/** Space between the row labels and the cells, and between cells. */
const gap = "  ";

/** One column as printed: its cells' plain texts (measured) and how to style each once padded. */
interface DiffColumn {
  target: string;
  contrast: string;
  score: string;
  targetSpecial: boolean;
  contrastSpecial: boolean;
  differs: boolean;
  /** A contrast token no target token faces (its target cell is the stand-in). */
  lone: boolean;
  width: number;
}

function withContrast(sequence: SequenceAttribution, index: number, result: AttributionResult) {
  if (sequence.contrast) return sequence;
  const withOne = result.sequences.flatMap((other, i) => (other.contrast ? [i] : []));
  throw new TokenscopeError(
    "INVALID_INPUT",
    `${caller}: sequence ${index} has no contrast to compare with.`,
    {
      hint:
        withOne.length > 0
          ? `Sequences with a contrast: ${withOne.join(", ")}. Pass { sequence: ${withOne[0]} }.`
          : "Only a contrastive run (contrastTargets or contrastSources) records a contrast; attribute with one first.",
      details: { sequence: index, sequencesWithContrast: withOne },
    },
  );
}

function label(token: ContrastTokenView | null, fallback: string, cap: number, marked: boolean): string {
  if (!token) return fallback;
  const text = truncateToWidth(token.label, cap);
  return marked ? `[${text}]` : text;
}

/**
 * Splits columns into blocks that fit `lineWidth` beside the row labels: a block takes columns while
 * the next one fits, and always at least one.
 */
function packBlocks(columns: readonly DiffColumn[], labelWidth: number, lineWidth: number): DiffColumn[][] {
  const blocks: DiffColumn[][] = [];
  let block: DiffColumn[] = [];
  let width = labelWidth;
  for (const column of columns) {
    const needed = gap.length + column.width;
    if (block.length > 0 && width + needed > lineWidth) {
      blocks.push(block);
      block = [];
      width = labelWidth;
    }
    block.push(column);
    width += needed;
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/**
 * A terminal diff of a contrastive run's target and its contrast: a heading, then rows `target`,
 * `contrast` and (when the result has them) the attributed function's per-step values, one column per
 * target token with the contrast token `alignment` says it was compared with. A contrast token no
 * target token faces gets a column of its own with `·` as its target, where it stands in the
 * contrast. Differing columns are marked: bold magenta in colour, `[ ]` around both tokens in plain
 * text (`color: 0`), so the mark survives without colour. Rows wider than `columns` are wrapped at
 * column boundaries into blocks that each repeat the row labels; widths are display widths, so wide
 * characters align. A contrast source, when the run had one, follows as `contrast source: "…"`. Token
 * texts are escaped as every view escapes them. Returns the text, ending in a newline; prints nothing.
 */
export function renderContrastDiff(result: AttributionResult, options: ContrastDiffOptions = {}): string {
  const color = resolveColor(options.color, caller);
  const digits = checkDigits(options.digits ?? 2, caller);
  const lineWidth = checkColumns(options.columns ?? defaultColumns, caller);
  const maxTokenWidth = checkPositiveInteger(options.maxTokenWidth ?? 12, "maxTokenWidth", caller);
  const [{ index, sequence: picked }] = pickSequences(result, options.sequence ?? 0, caller) as [
    { index: number; sequence: SequenceAttribution },
  ];
  const sequence = withContrast(picked, index, result);
  const view = contrastView(sequence, result.info.attributedFunction?.id ?? null)!;
  const plain = color.level === 0;
  const rowLabels = ["target", "contrast", ...(view.scoreLabel !== null ? [view.scoreLabel] : [])];
  // A long score id gets at most a third of a narrow line (its end kept: "…prob_diff"), never less than "contrast".
  const naturalLabelWidth = Math.max(
    minLabelWidth,
    Math.min(Math.max(...rowLabels.map(displayWidth)), Math.floor(lineWidth / 3)),
  );
  // Room for a token: the line less the gap, a few columns of row label and the brackets.
  const tokenCap = Math.max(1, Math.min(maxTokenWidth, lineWidth - gap.length - 3 - (plain ? 2 : 0)));
  const columns: DiffColumn[] = view.columns.map((column) => {
    const marked = plain && column.differs;
    const cells = {
      target: label(column.target, noTarget, tokenCap, marked),
      contrast: label(column.contrast, noContrast, tokenCap, marked),
      score: formatScore(column.score, digits),
    };
    return {
      ...cells,
      targetSpecial: column.target?.special ?? false,
      contrastSpecial: column.contrast?.special ?? false,
      differs: column.differs,
      lone: column.target === null,
      width: Math.max(1, ...Object.values(cells).map(displayWidth)),
    };
  });
  const widest = columns.reduce((most, column) => Math.max(most, column.width), 0);
  const labelWidth = Math.min(naturalLabelWidth, lineWidth - gap.length - widest);
  if (labelWidth < 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: a column ${widest} characters wide does not fit in ${lineWidth} columns beside the row labels.`,
      {
        hint: `Pass columns of at least ${widest + gap.length + 1}, or fewer digits.`,
        details: { columns: lineWidth, widestColumn: widest },
      },
    );
  }

  const mark = (text: string) => color.bold.magenta(text);
  // Padding stays outside the style, so a mark covers the token and not the space after it.
  const tokenCell = (text: string, width: number, style: "none" | "dim" | "mark") => {
    const styled = style === "mark" ? mark(text) : style === "dim" ? color.dim(text) : text;
    return styled + " ".repeat(Math.max(0, width - displayWidth(text)));
  };
  const styleOf = (column: DiffColumn, special: boolean) =>
    column.differs && !plain ? "mark" : special ? "dim" : "none";
  // "target" and "contrast" keep their starts when cut, a score id its end ("…prob_diff", not "contr…").
  const rowLabel = (text: string, keepEnd: boolean) =>
    color.dim(
      padEndToWidth((keepEnd ? truncateStartToWidth : truncateToWidth)(text, labelWidth), labelWidth),
    );
  const lines = [
    color.bold(truncateToWidth("Contrast (target ↔ contrast, differing tokens marked):", lineWidth)),
  ];
  packBlocks(columns, labelWidth, lineWidth).forEach((block, blockIndex) => {
    if (blockIndex > 0) lines.push("");
    const row = (name: string, cell: (column: DiffColumn) => string, keepEnd = false) =>
      rowLabel(name, keepEnd) + block.map((column) => gap + cell(column)).join("");
    lines.push(
      row("target", (column) =>
        tokenCell(column.target, column.width, column.lone ? "dim" : styleOf(column, column.targetSpecial)),
      ),
      row("contrast", (column) =>
        tokenCell(column.contrast, column.width, styleOf(column, column.contrastSpecial)),
      ),
    );
    if (view.scoreLabel !== null)
      lines.push(row(view.scoreLabel, (column) => padEndToWidth(column.score, column.width), true));
  });
  if (view.sourceText !== null) {
    const prefix = "contrast source: ";
    const room = lineWidth - displayWidth(prefix) - 2;
    lines.push(
      room >= 2
        ? `${color.dim(prefix)}"${truncateToWidth(view.sourceText, room)}"`
        : truncateToWidth(`${prefix}"${view.sourceText}"`, lineWidth),
    );
  }
  // Plain trailing spaces only: a styled cell ends in an escape code, so what follows it stays.
  return `${lines.map((line) => line.replace(/ +$/, "")).join("\n")}\n`;
}
