import { describe, expect, it } from "vitest";
import { makeSequence, roundMatrix } from "../testing/fixtures.ts";
import { absmax } from "./absmax.ts";
import { l1 } from "./l1.ts";
import { l2 } from "./l2.ts";
import { max } from "./max.ts";
import { mean } from "./mean.ts";
import { sum } from "./sum.ts";
import type { Aggregator } from "./types.ts";

// Cells [3, -4], [-1, -2] | [NaN, NaN], [0, 0]; target prefix [3, -4] at (1, 0), and a stray value at (1, 1).
const sequence = makeSequence({
  source: ["a", "b"],
  target: ["c", "d"],
  rawSource: [
    [
      [3, -4],
      [-1, -2],
    ],
    [
      [Number.NaN, Number.NaN],
      [0, 0],
    ],
  ],
  rawTarget: [
    [
      [Number.NaN, Number.NaN],
      [Number.NaN, Number.NaN],
    ],
    [
      [3, -4],
      [7, 7],
    ],
  ],
});

const cases: [Aggregator<Record<string, never>>, number, number][] = [
  // reducer, value of [3, -4], value of [-1, -2]
  [l2, 5, Math.sqrt(5)],
  [l1, 7, 3],
  [sum, -1, -3],
  [absmax, -4, -2],
  [mean, -0.5, -1.5],
  [max, 3, -1],
];

describe.each(cases.map(([reducer, ofFirst, ofSecond]) => ({ id: reducer.id, reducer, ofFirst, ofSecond })))(
  "$id",
  ({ reducer, ofFirst, ofSecond }) => {
    it("reduces each cell's vector by hand-computed values, NaN to null, causal cells null", () => {
      const reduced = reducer.apply(sequence, {});
      expect(roundMatrix(reduced.sourceAttributions)).toEqual(
        roundMatrix([
          [ofFirst, ofSecond],
          [null, 0],
        ]),
      );
      expect(reduced.targetAttributions).toEqual([
        [null, null],
        [ofFirst, null],
      ]);
      expect(reducer.kind).toBe("dimension");
    });
  },
);

describe("reducers on edge values", () => {
  it("l2 stays accurate for values whose squares overflow or underflow", () => {
    const huge = makeSequence({ source: ["a"], target: ["b"], rawSource: [[[3e200, 4e200]]] });
    const tiny = makeSequence({ source: ["a"], target: ["b"], rawSource: [[[3e-200, 4e-200]]] });
    expect(l2.apply(huge, {}).sourceAttributions[0]![0]).toBeCloseTo(5e200, -190);
    expect(l2.apply(tiny, {}).sourceAttributions[0]![0]! / 5e-200).toBeCloseTo(1, 12);
  });

  it("absmax keeps the first component on a tie of magnitudes", () => {
    const tie = makeSequence({ source: ["a"], target: ["b"], rawSource: [[[2, -2]]] });
    expect(absmax.apply(tie, {}).sourceAttributions).toEqual([[2]]);
  });

  it("re-reducing from raw after another reducer gives the same as reducing directly", () => {
    expect(sum.apply(l2.apply(sequence, {}), {}).sourceAttributions).toEqual(
      sum.apply(sequence, {}).sourceAttributions,
    );
  });
});
