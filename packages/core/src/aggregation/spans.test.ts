import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { parseParameters } from "../schema/parameters.ts";
import { makeSequence } from "../testing/fixtures.ts";
import { rangeGroups, spans } from "./spans.ts";

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("rangeGroups", () => {
  it("turns half-open ranges (any order) into units, other tokens single", () => {
    expect(rangeGroups([[1, 3]], 5, "source")).toEqual([[0], [1, 2], [3], [4]]);
    expect(
      rangeGroups(
        [
          [3, 5],
          [0, 2],
        ],
        5,
        "source",
      ),
    ).toEqual([[0, 1], [2], [3, 4]]);
    expect(rangeGroups([], 2, "target")).toEqual([[0], [1]]);
  });

  it.each([
    [[[2, 2]], /source range \[2, 2\) is empty/],
    [[[3, 6]], /source range \[3, 6\) is out of bounds \(5 tokens\)/],
    [
      [
        [0, 2],
        [1, 3],
      ],
      /source range \[1, 3\) overlaps \[0, 2\)/,
    ],
  ] as [[number, number][], RegExp][])(
    "refuses %j with INVALID_INPUT naming the range",
    (ranges, message) => {
      const error = errorOf(() => rangeGroups(ranges, 5, "source"));
      expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
      expect((error as Error).message).toMatch(message);
    },
  );
});

describe("spans aggregator", () => {
  const sequence = makeSequence({
    source: ["Q:", " Paris", " is", " big", "."],
    target: [" Yes", ",", " it", " is"],
    sourceAttributions: [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12, 13, 14, 15],
      [16, 17, 18, 19, 20],
    ],
    targetAttributions: null,
    stepScores: { probability: [0.5, 0.3, 0.2, 0.4] },
  });

  it("merges the given source and target ranges", () => {
    const parameters = parseParameters(
      spans.parameters,
      {
        source: [[1, 4]],
        target: [
          [0, 2],
          [2, 4],
        ],
        reduce: "sum",
        stepScores: "mean",
      },
      "spans",
    );
    const merged = spans.apply(sequence, parameters);
    expect(merged.source.map((token) => token.text)).toEqual(["Q:", " Paris is big", "."]);
    expect(merged.target.map((token) => token.text)).toEqual([" Yes,", " it is"]);
    // Block sums: rows {0,1} x columns {1,2,3} = (2+3+4) + (7+8+9) = 33.
    expect(merged.sourceAttributions).toEqual([
      [7, 33, 15],
      [27, 93, 35],
    ]);
    expect(merged.targetAttributions).toBeNull();
    expect(merged.stepScores.probability!.map((v) => Math.round(v! * 1e9) / 1e9)).toEqual([0.4, 0.3]);
  });

  it("takes the absmax of each block and the product of probabilities by default (Inseq)", () => {
    registerCoreBuiltins();
    const parameters = parseParameters(spans.parameters, { source: [[1, 4]], target: [[0, 2]] }, "spans");
    const merged = spans.apply(sequence, parameters);
    expect(merged.sourceAttributions).toEqual([
      [6, 9, 10],
      [11, 14, 15],
      [16, 19, 20],
    ]);
    expect(merged.stepScores.probability![0]).toBeCloseTo(0.15, 12);
    expect(merged.stepScores.probability!.slice(1)).toEqual([0.2, 0.4]);
  });

  it("checks ranges against the sequence and parameters against the schema", () => {
    expect(() =>
      spans.apply(sequence, { source: [], target: [[3, 5]], reduce: "sum", stepScores: "mean" }),
    ).toThrow(/target range \[3, 5\) is out of bounds \(4 tokens\)/);
    const error = errorOf(() => parseParameters(spans.parameters, { source: [[-1, 2]] }, "spans"));
    expect(isTokenscopeError(error, "INVALID_PARAMETERS")).toBe(true);
  });
});
