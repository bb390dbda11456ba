import { escapeControlCharacters, escapeMarkdownToken, TokenscopeError } from "@tokenscope/core";
import type { Experiment, ExperimentLog } from "./experiment-log.ts";

/** A table: a header row and body rows of cells. */
interface Table {
  header: string[];
  rows: string[][];
}

function format(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "";
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** One-line, visible text for a Markdown cell: core's Markdown token escaping, control characters visible. */
function cell(text: string): string {
  return escapeMarkdownToken(escapeControlCharacters(text));
}

function experimentOf(log: ExperimentLog, id: number | undefined): Experiment {
  const experiment = id === undefined ? log.experiments.at(-1) : log.experiments.find((e) => e.id === id);
  if (!experiment) {
    throw new TokenscopeError("INVALID_INPUT", `The experiment log has no experiment ${id ?? "yet"}.`, {
      hint:
        log.experiments.length > 0
          ? `Pick an id from 1 to ${log.experiments.length}.`
          : "Run an attribution first.",
      details: { id, experiments: log.experiments.length },
    });
  }
  return experiment;
}

/** The table of experiments (the seed's `print_experiment_table`). */
export function experimentsTable(log: ExperimentLog): Table {
  return {
    header: ["id", "prompt", "output", "unit", "perturbation", "method", "strategies", "requests", "seconds"],
    rows: log.experiments.map((e) => [
      String(e.id),
      e.prompt,
      e.output,
      e.unit,
      e.perturbation,
      e.method,
      e.strategies.join(", "),
      String(e.requests),
      (e.durationMs / 1000).toFixed(2),
    ]),
  };
}

/** Each unit's score per strategy (the seed's `print_sentence_attribution`). */
export function unitTable(log: ExperimentLog, id?: number, digits = 3): Table {
  const e = experimentOf(log, id);
  return {
    header: ["unit", ...e.strategies],
    rows: e.units.map((unit, u) => [unit, ...e.strategies.map((s) => format(e.unitScores[s]?.[u], digits))]),
  };
}

/** [output token x unit] for one strategy (the seed's `print_attribution_matrix`). */
export function matrixTable(log: ExperimentLog, id?: number, strategy?: string, digits = 3): Table {
  const e = experimentOf(log, id);
  const chosen = strategy ?? e.strategies[0]!;
  const matrix = e.matrices[chosen];
  if (!matrix) {
    throw new TokenscopeError("INVALID_INPUT", `Experiment ${e.id} has no ${chosen} matrix.`, {
      hint: `Pick from ${e.strategies.join(", ")}.`,
    });
  }
  return {
    header: ["output ↓ / unit →", ...e.units],
    rows: e.targets.map((target, t) => [target, ...e.units.map((_, u) => format(matrix[t]?.[u], digits))]),
  };
}

/** Every perturbed prompt with its output and scores. */
export function perturbationsTable(log: ExperimentLog, id?: number, digits = 3): Table {
  const e = experimentOf(log, id);
  return {
    header: ["depth", "changed", "perturbed prompt", "perturbed output", ...e.strategies],
    rows: e.perturbations.map((p) => [
      String(p.depth),
      p.removed,
      p.perturbedPrompt,
      p.perturbedOutput ?? "",
      ...e.strategies.map((s) => format(p.scores[s], digits)),
    ]),
  };
}

/** A table as Markdown (cells escaped: one line each, visible control characters and edge spaces). */
export function tableToMarkdown(table: Table): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(table.header), `|${table.header.map(() => " --- ").join("|")}|`, ...table.rows.map(line)].join(
    "\n",
  );
}

/** A table as CSV (RFC 4180 quoting; text kept exactly). */
export function tableToCsv(table: Table): string {
  const quote = (text: string) =>
    /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  return `${[table.header, ...table.rows].map((row) => row.map(quote).join(",")).join("\r\n")}\r\n`;
}

/** The whole log as Markdown: the experiments table, then per experiment its unit scores, matrices and perturbations. */
export function logToMarkdown(log: ExperimentLog, digits = 3): string {
  const parts = [`## Experiments\n\n${tableToMarkdown(experimentsTable(log))}`];
  for (const e of log.experiments) {
    parts.push(`## Experiment ${e.id}: unit attribution\n\n${tableToMarkdown(unitTable(log, e.id, digits))}`);
    for (const strategy of e.strategies) {
      parts.push(
        `### ${cell(strategy)} matrix\n\n${tableToMarkdown(matrixTable(log, e.id, strategy, digits))}`,
      );
    }
    parts.push(`### Perturbations\n\n${tableToMarkdown(perturbationsTable(log, e.id, digits))}`);
  }
  return `${parts.join("\n\n")}\n`;
}

/** The log's plain data as JSON. */
export function logToJson(log: ExperimentLog): string {
  return `${JSON.stringify({ experiments: log.experiments }, null, 2)}\n`;
}
