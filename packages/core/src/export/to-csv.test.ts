import { describe, expect, it } from "vitest";
import { makeResult, makeSequence } from "../testing/fixtures.ts";
import { csvField, toCsv } from "./to-csv.ts";
import { toRows } from "./to-rows.ts";

/** A small RFC 4180 reader, independent of the writer, for the round trip. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += char;
  }
  if (field !== "" || record.length) records.push([...record, field]);
  return records;
}

describe("csvField", () => {
  it("quotes only what needs it and doubles inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField(" lead")).toBe('" lead"');
    expect(csvField(null)).toBe("");
    expect(csvField(0.1 + 0.2)).toBe("0.30000000000000004");
  });
});

describe("toCsv", () => {
  const tricky = makeSequence({
    source: ["Hello", ', "world"', "\n", "a\r\nb"],
    target: [" ,", '"'],
    stepScores: { probability: [0.5, null] },
  });
  const plain = makeSequence({ source: ["x"], target: ["y"], stepScores: { entropy: [1.25] } });
  const result = makeResult([tricky, plain]);

  it("round-trips through an RFC 4180 parser: texts and full-precision scores intact", () => {
    const csv = toCsv(result);
    expect(csv.endsWith("\r\n")).toBe(true);
    const [header, ...records] = parseCsv(csv);
    expect(header).toEqual([
      "sequence",
      "targetIndex",
      "targetText",
      "sourceKind",
      "sourceIndex",
      "sourceText",
      "score",
      "probability",
      "entropy",
    ]);
    const rows = toRows(result);
    expect(records).toHaveLength(rows.length);
    records.forEach((record, index) => {
      const row = rows[index]!;
      expect(record[2]).toBe(row.targetText);
      expect(record[5]).toBe(row.sourceText);
      expect(Number(record[6])).toBe(row.score);
      expect(record[7]).toBe(
        row.probability === undefined || row.probability === null ? "" : String(row.probability),
      );
      expect(record[8]).toBe(row.entropy === undefined ? "" : String(row.entropy));
    });
    expect(records.map((record) => record[5])).toContain("a\r\nb");
  });
});
