import type { AttributionResult } from "../result/types.ts";
import { attributionRowColumns, stepScoreColumn, toRows } from "./to-rows.ts";

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line
 * break, or leading/trailing whitespace (which some readers would trim), with
 * inner quotes doubled. null is an empty field; numbers keep full precision.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The rows of {@link toRows} as RFC 4180 CSV: a header row, then one record
 * per non-null cell, CRLF line endings. Step score columns are the union over
 * all sequences, in order of first appearance (empty where a sequence lacks one).
 */
export function toCsv(result: AttributionResult): string {
  const stepColumns = [
    ...new Set(result.sequences.flatMap((sequence) => Object.keys(sequence.stepScores).map(stepScoreColumn))),
  ];
  const columns = [...attributionRowColumns, ...stepColumns];
  const lines = [columns.map(csvField).join(",")];
  for (const row of toRows(result)) lines.push(columns.map((column) => csvField(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
