import { describe, expect, it } from "vitest";
import { makeSequence } from "../testing/fixtures.ts";
import { assertSequenceShape } from "./sequence-shape.ts";

describe("assertSequenceShape", () => {
  const sequence = makeSequence({
    source: ["a", "b"],
    target: ["c", "d"],
    rawSource: [
      [[1], [2]],
      [[3], [4]],
    ],
  });

  it("accepts a well-formed sequence", () => {
    expect(() => assertSequenceShape(sequence, "test")).not.toThrow();
  });

  it("names the matrix, row or step score that is off", () => {
    const shortRow = { ...sequence, sourceAttributions: [[1, 2], [3]] };
    expect(() => assertSequenceShape(shortRow, "check")).toThrow(
      /check: sourceAttributions\[1\] has 1 cells where 2/,
    );
    const badTarget = { ...sequence, targetAttributions: [[null]] };
    expect(() => assertSequenceShape(badTarget, "check")).toThrow(/targetAttributions has 1 rows/);
    const badRaw = {
      ...sequence,
      rawSourceAttributions: { dims: [2, 2, 2] as [number, number, number], data: new Float64Array(4) },
    };
    expect(() => assertSequenceShape(badRaw, "check")).toThrow(/holds 4 values/);
    const badScores = { ...sequence, stepScores: { probability: [0.5] } };
    expect(() => assertSequenceShape(badScores, "check")).toThrow(/step score "probability" has 1 values/);
  });
});
