import { escapeControlCharacters } from "@tokenscope/core";

/** A sequence's figures: per attributed step, and for the whole sequence. */
export interface ReportSequence {
  steps: ({ step: number; target: string } & Record<string, number | string | null>)[];
  sequence: Record<string, number | null>;
}

/** Anything with per-sequence figures: an evaluation report, or the metrics stored in results. */
export interface ReportLike {
  sequences: readonly ReportSequence[];
}

/** A table: a header row and body rows. */
export interface ReportTable {
  header: string[];
  rows: string[][];
}

function format(value: number | string | null | undefined, digits: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return String(value);
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** Metric columns in the order they first appear, each followed by its standard error and random baseline. */
function metricColumns(rows: readonly Record<string, unknown>[]): string[] {
  const seen: string[] = [];
  for (const row of rows)
    for (const key of Object.keys(row))
      if (key !== "step" && key !== "target" && !seen.includes(key)) seen.push(key);
  const base = seen.filter((key) => !key.startsWith("rand_") && !key.endsWith("_se"));
  const ordered: string[] = [];
  for (const key of base) {
    for (const column of [key, `${key}_se`, `rand_${key}`, `rand_${key}_se`])
      if (seen.includes(column)) ordered.push(column);
  }
  return [...ordered, ...seen.filter((key) => !ordered.includes(key))];
}

/** One line per attributed step of every sequence (the seed's per-token table, with `rand_*` columns). */
export function stepTable(report: ReportLike, digits = 4): ReportTable {
  const columns = metricColumns(report.sequences.flatMap((sequence) => sequence.steps));
  return {
    header: ["sequence", "step", "target", ...columns],
    rows: report.sequences.flatMap((sequence, s) =>
      sequence.steps.map((step) => [
        String(s),
        String(step.step),
        escapeControlCharacters(String(step.target)).replace(/\r\n|\r|\n/g, "↵"),
        ...columns.map((column) => format(step[column], digits)),
      ]),
    ),
  };
}

/** One line per sequence (the seed's per-sequence table). */
export function sequenceTable(report: ReportLike, digits = 4): ReportTable {
  const columns = metricColumns(report.sequences.map((sequence) => sequence.sequence));
  return {
    header: ["sequence", ...columns],
    rows: report.sequences.map((sequence, s) => [
      String(s),
      ...columns.map((column) => format(sequence.sequence[column], digits)),
    ]),
  };
}

/** A table as Markdown, cells escaped (one line, `|` and Markdown punctuation escaped). */
export function reportTableToMarkdown(table: ReportTable): string {
  const cell = (text: string) => {
    const escaped = text.replace(/[\\`*_[\]<>|~]/g, (char) => `\\${char}`);
    return escaped === "" ? " " : escaped.replace(/^ +| +$/g, (spaces) => "␣".repeat(spaces.length));
  };
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [
    line(table.header),
    `|${table.header.map((_, i) => (i < 1 ? " --- " : " ---: ")).join("|")}|`,
    ...table.rows.map(line),
  ].join("\n");
}
