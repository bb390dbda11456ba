import { describe, expect, it } from "vitest";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { parseResult, serializeResult } from "./serialize.ts";
import { splitResult } from "./split.ts";

describe("splitResult", () => {
  it("gives one valid result per sequence with the same run info", () => {
    const result = makeTestResult({ sequences: 3, rawDims: 2 });
    const parts = splitResult(result);
    expect(parts).toHaveLength(3);
    parts.forEach((part, index) => {
      expect(part.info).toBe(result.info);
      expect(part.sequences).toEqual([result.sequences[index]]);
      expect(parseResult(serializeResult(part, { precision: "float64" }))).toEqual(part);
    });
  });

  it("gives nothing for a result without sequences", () => {
    expect(splitResult({ ...makeTestResult(), sequences: [] })).toEqual([]);
  });
});
