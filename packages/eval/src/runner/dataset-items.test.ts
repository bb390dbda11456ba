import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv.ts";
import { datasetFormatOf, parseDatasetItems } from "./dataset-items.ts";

describe("parseCsv (RFC 4180)", () => {
  it("reads quoted commas, doubled quotes, line breaks in quotes, CRLF, a BOM and a last line without a break", () => {
    const text = '\uFEFFid,text\r\n1,"a, b"\r\n2,"she said ""hi"""\r\n3,"two\r\nlines"\r\n4,plain';
    expect(parseCsv(text)).toEqual([
      { fields: ["id", "text"], line: 1 },
      { fields: ["1", "a, b"], line: 2 },
      { fields: ["2", 'she said "hi"'], line: 3 },
      { fields: ["3", "two\r\nlines"], line: 4 },
      { fields: ["4", "plain"], line: 6 },
    ]);
  });

  it("accepts bare LF, empty fields and skips blank lines", () => {
    expect(parseCsv('a,b\n\n,""\nx,\n').map((record) => record.fields)).toEqual([
      ["a", "b"],
      ["", ""],
      ["x", ""],
    ]);
  });

  it("keeps a quote inside an unquoted field, refuses text after a closing quote and an open quote", () => {
    expect(parseCsv('a,5" screen').map((record) => record.fields)).toEqual([["a", '5" screen']]);
    expect(() => parseCsv('a,"b"c', "x.csv")).toThrow(
      'x.csv, line 1: text after the closing quote of a field ("c")',
    );
    expect(() => parseCsv('a\n"open,\n\n', "x.csv")).toThrow("x.csv, line 2: a quoted field is never closed");
  });
});

describe("parseDatasetItems", () => {
  it("txt: one prompt per non-blank line, kept as written", () => {
    expect(parseDatasetItems("\uFEFFOnce upon\r\n\n   \n  a time \n", { format: "txt" })).toEqual([
      { prompt: "Once upon", line: 1 },
      { prompt: "  a time ", line: 4 },
    ]);
  });

  it('jsonl: the "text" field, else "prompt", or --column; a target by --target-column', () => {
    const text = '{"text": "a", "t": "x"}\n\n{"prompt": "b\\nc", "t": "y"}\n';
    expect(parseDatasetItems(text, { format: "jsonl" })).toEqual([
      { prompt: "a", line: 1 },
      { prompt: "b\nc", line: 3 },
    ]);
    expect(
      parseDatasetItems('{"q": "a", "t": "x"}', { format: "jsonl", column: "q", targetColumn: "t" }),
    ).toEqual([{ prompt: "a", target: "x", line: 1 }]);
    expect(() => parseDatasetItems('{"q": "a"}', { format: "jsonl", source: "d.jsonl" })).toThrow(
      'd.jsonl, line 1: no string field "text" or "prompt"',
    );
    expect(() => parseDatasetItems("[1]", { format: "jsonl" })).toThrow("not a JSON object");
    expect(() => parseDatasetItems("{", { format: "jsonl" })).toThrow("line 1: not JSON");
  });

  it("csv: the header names the columns; rows with another field count are refused", () => {
    const text = 'id,question,answer\n1,"Hello, world",yes\n2,"multi\nline",no\n';
    expect(parseDatasetItems(text, { format: "csv", column: "question", targetColumn: "answer" })).toEqual([
      { prompt: "Hello, world", target: "yes", line: 2 },
      { prompt: "multi\nline", target: "no", line: 3 },
    ]);
    expect(() => parseDatasetItems(text, { format: "csv", source: "d.csv" })).toThrow(
      'd.csv, line 1: the header has no column "text" or "prompt" (its columns: "id", "question", "answer")',
    );
    expect(() => parseDatasetItems("text\na,b\n", { format: "csv" })).toThrow(
      "line 2: 2 fields where the header has 1",
    );
  });

  it("refuses empty prompts, empty targets, no items, and columns for txt", () => {
    expect(() => parseDatasetItems('text\n" "\n', { format: "csv" })).toThrow("line 2: the prompt is empty");
    expect(() => parseDatasetItems('{"text":"a","t":""}', { format: "jsonl", targetColumn: "t" })).toThrow(
      "the target is empty",
    );
    expect(() => parseDatasetItems("\n\n", { format: "txt", source: "p.txt" })).toThrow(
      "p.txt holds no item",
    );
    expect(() => parseDatasetItems("text\n", { format: "csv" })).toThrow("holds no item");
    expect(() => parseDatasetItems("a", { format: "txt", column: "x" })).toThrow("no columns");
  });

  it("picks the format from the file name", () => {
    expect(["a.jsonl", "A.CSV", "a.txt", "a", "a.ndjson"].map(datasetFormatOf)).toEqual([
      "jsonl",
      "csv",
      "txt",
      "txt",
      "jsonl",
    ]);
  });
});
