import { describe, expect, it } from "vitest";
import { makeSequence } from "../testing/fixtures.ts";
import { mapAttributionRows, rowValues } from "./attribution-rows.ts";

const sequence = makeSequence({
  source: ["a", "b"],
  target: ["c", "d", "e"],
  sourceAttributions: [
    [1, null],
    [3, 4],
    [null, null],
  ],
  targetAttributions: [
    [99, null, null],
    [5, 98, null],
    [null, null, null],
  ],
});

describe("rowValues", () => {
  it("lists source cells then target-prefix cells u < t, skipping nulls and cells at u >= t", () => {
    expect(rowValues(sequence, 0)).toEqual([1]);
    expect(rowValues(sequence, 1)).toEqual([3, 4, 5]);
    expect(rowValues(sequence, 2)).toEqual([]);
  });
});

describe("mapAttributionRows", () => {
  it("puts transformed values back in place, nulls the causal cells and keeps nulls", () => {
    const { sourceAttributions, targetAttributions } = mapAttributionRows(sequence, "test", (values, t) =>
      values.map((value) => value * 10 + t),
    );
    expect(sourceAttributions).toEqual([
      [10, null],
      [31, 41],
      [null, null],
    ]);
    expect(targetAttributions).toEqual([
      [null, null, null],
      [51, null, null],
      [null, null, null],
    ]);
    expect(sequence.targetAttributions![0]![0]).toBe(99);
  });

  it("throws INVALID_INPUT on a matrix that does not match the tokens", () => {
    const broken = { ...sequence, sourceAttributions: sequence.sourceAttributions.slice(1) };
    expect(() => mapAttributionRows(broken, "test", (v) => v)).toThrow(/sourceAttributions has 2 rows/);
  });
});
