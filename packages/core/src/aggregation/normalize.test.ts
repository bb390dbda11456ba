import { describe, expect, it } from "vitest";
import { makeSequence, roundMatrix } from "../testing/fixtures.ts";
import { normalize } from "./normalize.ts";

describe("normalize", () => {
  const sequence = makeSequence({
    source: ["a", "b", "c"],
    target: ["d", "e", "f", "g"],
    sourceAttributions: [
      [1, -3, null],
      [0.5, null, 0.5],
      [null, null, null],
      [0, 0, null],
    ],
    targetAttributions: [
      [null, null, null, null],
      [2, null, null, null],
      [null, null, null, null],
      [0, 0, 0, null],
    ],
    rawSource: [
      [[1], [-3], [Number.NaN]],
      [[0.5], [Number.NaN], [0.5]],
      [[Number.NaN], [Number.NaN], [Number.NaN]],
      [[0], [0], [Number.NaN]],
    ],
  });

  it("divides each row by the sum of |cells| over source and target prefix together", () => {
    const normalized = normalize.apply(sequence, {});
    // Row 0: |1| + |-3| = 4. Row 1: 0.5 + 0.5 + 2 = 3. Row 2 not attributed. Row 3 all zero.
    expect(roundMatrix(normalized.sourceAttributions)).toEqual(
      roundMatrix([
        [0.25, -0.75, null],
        [1 / 6, null, 1 / 6],
        [null, null, null],
        [0, 0, null],
      ]),
    );
    expect(roundMatrix(normalized.targetAttributions)).toEqual(
      roundMatrix([
        [null, null, null, null],
        [2 / 3, null, null, null],
        [null, null, null, null],
        [0, 0, 0, null],
      ]),
    );
  });

  it("makes every attributed non-zero row sum to 1 in absolute value", () => {
    const normalized = normalize.apply(
      makeSequence({ source: ["a", "b", "c"], target: ["d", "e", "f"] }),
      {},
    );
    for (let t = 0; t < 3; t++) {
      const cells = [...normalized.sourceAttributions[t]!, ...normalized.targetAttributions![t]!];
      const total = cells.reduce<number>((acc, value) => acc + Math.abs(value ?? 0), 0);
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it("leaves the raw tensors and the input unchanged", () => {
    const before = structuredClone(sequence);
    const normalized = normalize.apply(sequence, {});
    expect(normalized.rawSourceAttributions).toEqual(sequence.rawSourceAttributions);
    expect(sequence).toEqual(before);
  });

  it("works on sequences without target-prefix attributions", () => {
    const sourceOnly = makeSequence({
      source: ["a", "b"],
      target: ["c"],
      sourceAttributions: [[2, -2]],
      targetAttributions: null,
    });
    const normalized = normalize.apply(sourceOnly, {});
    expect(normalized.sourceAttributions).toEqual([[0.5, -0.5]]);
    expect(normalized.targetAttributions).toBeNull();
  });
});
