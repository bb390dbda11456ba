import { TokenscopeError } from "@tokenscope/core";
import { parseCsv } from "./csv.ts";

/** The formats of a dataset file: one prompt per line, JSON Lines, or CSV with a header row. */
export type DatasetFormat = "txt" | "jsonl" | "csv";

/** One item of a dataset: the prompt, an optional forced target, and where it came from. */
export interface DatasetItem {
  prompt: string;
  target?: string;
  /** The 1-based line it starts on in its file. */
  line: number;
}

/** Options of {@link parseDatasetItems}. */
export interface ParseDatasetOptions {
  format: DatasetFormat;
  /**
   * jsonl and csv: the field (column) holding the prompt. Default: `text`, or `prompt` where there
   * is no `text`. Not allowed for txt.
   */
  column?: string;
  /** jsonl and csv: the field (column) holding a forced target; default none (the model generates). */
  targetColumn?: string;
  /** The file's name, for messages (default "the dataset"). */
  source?: string;
}

/** The prompt fields tried, in order, when no column is named. */
const DEFAULT_COLUMNS = ["text", "prompt"] as const;

/** The format of a dataset file from its name: `.jsonl`, `.csv`, anything else one prompt per line. */
export function datasetFormatOf(fileName: string): DatasetFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  if (lower.endsWith(".csv")) return "csv";
  return "txt";
}

function badItem(source: string, line: number, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `${source}, line ${line}: ${what}.`, {
    hint,
    details: { source, line },
  });
}

/** Each line of `text` with its 1-based number, split on \n or \r\n. */
function* linesOf(text: string): Generator<[line: string, number: number]> {
  let start = 0;
  let number = 1;
  while (start <= text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    yield [text.slice(start, end > start && text[end - 1] === "\r" ? end - 1 : end), number++];
    if (newline === -1) return;
    start = newline + 1;
  }
}

/**
 * The items of a dataset text (already decoded):
 * - txt: one prompt per line, lines of only white space skipped, the rest kept as they are;
 * - jsonl: one JSON object per non-blank line; the prompt is the string field `column` (default
 *   `text`, else `prompt`), the target the field `targetColumn` when named;
 * - csv: RFC 4180 (see {@link parseCsv}) with a header row naming the columns; `column` and
 *   `targetColumn` as for jsonl; every record must have as many fields as the header.
 * A leading byte-order mark is dropped. An empty prompt, a missing field or a target that is not a
 * string is refused naming the line; so is a dataset with no item.
 * @throws TokenscopeError INVALID_INPUT naming the file and line.
 */
export function parseDatasetItems(text: string, options: ParseDatasetOptions): DatasetItem[] {
  const source = options.source ?? "the dataset";
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (options.format === "txt" && (options.column !== undefined || options.targetColumn !== undefined)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${source} holds one prompt per line: it has no columns to choose from.`,
      { hint: "Leave out --column and --target-column, or give a .jsonl or .csv file." },
    );
  }
  const items =
    options.format === "txt"
      ? txtItems(body)
      : options.format === "jsonl"
        ? jsonlItems(body, source, options)
        : csvItems(body, source, options);
  if (items.length === 0) {
    throw new TokenscopeError("INVALID_INPUT", `${source} holds no item.`, {
      hint: "Write one prompt per line (.txt), one JSON object per line (.jsonl) or a header and rows (.csv).",
      details: { source },
    });
  }
  for (const item of items) {
    if (item.prompt.trim().length === 0) {
      throw badItem(
        source,
        item.line,
        "the prompt is empty",
        "Give every item a prompt, or remove the item.",
      );
    }
    if (item.target !== undefined && item.target.length === 0) {
      throw badItem(
        source,
        item.line,
        "the target is empty: a forced target needs at least one token",
        "Give every item a target, or leave --target-column out to generate.",
      );
    }
  }
  return items;
}

function txtItems(text: string): DatasetItem[] {
  const items: DatasetItem[] = [];
  for (const [line, number] of linesOf(text))
    if (line.trim() !== "") items.push({ prompt: line, line: number });
  return items;
}

function jsonlItems(text: string, source: string, options: ParseDatasetOptions): DatasetItem[] {
  const items: DatasetItem[] = [];
  const hint = `Give one JSON object per line, e.g. {"${options.column ?? "text"}": "..."}.`;
  for (const [line, number] of linesOf(text)) {
    if (line.trim() === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw badItem(source, number, `not JSON (${(error as Error).message})`, hint);
    }
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw badItem(source, number, "not a JSON object", hint);
    }
    const record = entry as Record<string, unknown>;
    const own = (name: string) => (Object.hasOwn(record, name) ? record[name] : undefined);
    const names = options.column !== undefined ? [options.column] : DEFAULT_COLUMNS;
    const name = names.find((candidate) => own(candidate) !== undefined);
    const prompt = name === undefined ? undefined : own(name);
    if (typeof prompt !== "string") {
      const what = names.map((candidate) => `"${candidate}"`).join(" or ");
      throw badItem(source, number, `no string field ${what}`, `${hint} Name the field with --column.`);
    }
    const item: DatasetItem = { prompt, line: number };
    if (options.targetColumn !== undefined) {
      const target = own(options.targetColumn);
      if (typeof target !== "string") {
        throw badItem(source, number, `no string field "${options.targetColumn}" (--target-column)`, hint);
      }
      item.target = target;
    }
    items.push(item);
  }
  return items;
}

function csvItems(text: string, source: string, options: ParseDatasetOptions): DatasetItem[] {
  const [header, ...rows] = parseCsv(text, source);
  if (!header) return [];
  const find = (name: string) => header.fields.indexOf(name);
  const columns = header.fields.map((field) => JSON.stringify(field)).join(", ");
  const promptColumn =
    options.column !== undefined
      ? find(options.column)
      : (DEFAULT_COLUMNS.map(find).find((at) => at >= 0) ?? -1);
  if (promptColumn < 0) {
    throw badItem(
      source,
      header.line,
      `the header has no column ${options.column !== undefined ? `"${options.column}"` : '"text" or "prompt"'} (its columns: ${columns})`,
      "Name the prompt column with --column.",
    );
  }
  const targetColumn = options.targetColumn !== undefined ? find(options.targetColumn) : -1;
  if (options.targetColumn !== undefined && targetColumn < 0) {
    throw badItem(
      source,
      header.line,
      `the header has no column "${options.targetColumn}" (--target-column; its columns: ${columns})`,
      "Name the target column as the header does.",
    );
  }
  return rows.map((row) => {
    if (row.fields.length !== header.fields.length) {
      throw badItem(
        source,
        row.line,
        `${row.fields.length} fields where the header has ${header.fields.length}`,
        "Give every row as many fields as the header; quote a field that holds a comma.",
      );
    }
    const item: DatasetItem = { prompt: row.fields[promptColumn]!, line: row.line };
    if (targetColumn >= 0) item.target = row.fields[targetColumn]!;
    return item;
  });
}
