import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { makeSequence } from "../testing/fixtures.ts";
import { makeDimensionReducer, reduceRawAttributions } from "./dimension-reducer.ts";

const first = makeDimensionReducer("first-dim", "First component.", "For tests.", (vector) => vector[0]!);

describe("reduceRawAttributions", () => {
  it("reduces the last axis row-major and turns any NaN component into null", () => {
    const raw = {
      dims: [2, 2, 2] as [number, number, number],
      data: new Float64Array([1, 2, 3, 4, 5, Number.NaN, 7, 8]),
    };
    expect(reduceRawAttributions(raw, (v) => v[0]! + v[1]!)).toEqual([
      [3, 7],
      [null, 15],
    ]);
  });

  it("with causal masking keeps only columns before the row", () => {
    const raw = {
      dims: [3, 3, 1] as [number, number, number],
      data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    };
    expect(reduceRawAttributions(raw, (v) => v[0]!, true)).toEqual([
      [null, null, null],
      [4, null, null],
      [7, 8, null],
    ]);
  });
});

describe("makeDimensionReducer", () => {
  const sequence = makeSequence({
    source: ["a", "b"],
    target: ["c", "d"],
    rawSource: [
      [
        [1, 10],
        [2, 20],
      ],
      [
        [Number.NaN, Number.NaN],
        [4, 40],
      ],
    ],
    rawTarget: [
      [
        [9, 9],
        [9, 9],
      ],
      [
        [5, 50],
        [9, 9],
      ],
    ],
  });

  it("fills both matrices from raw, keeps the raw tensors and leaves the input alone", () => {
    const before = structuredClone(sequence);
    const reduced = first.apply(sequence, {});
    expect(reduced.sourceAttributions).toEqual([
      [1, 2],
      [null, 4],
    ]);
    expect(reduced.targetAttributions).toEqual([
      [null, null],
      [5, null],
    ]);
    expect(reduced.rawSourceAttributions).toBe(sequence.rawSourceAttributions);
    expect(sequence).toEqual(before);
  });

  it("keeps the existing target-prefix matrix when there is no raw target tensor", () => {
    const { rawTargetAttributions: _, ...withoutRawTarget } = sequence;
    const reduced = first.apply(withoutRawTarget, {});
    expect(reduced.targetAttributions).toEqual(sequence.targetAttributions);
    expect(reduced.targetAttributions).not.toBe(sequence.targetAttributions);
  });

  it("throws INVALID_INPUT without raw attributions", () => {
    const plain = makeSequence({ source: ["a"], target: ["b"] });
    expect(() => first.apply(plain, {})).toThrow(/no rawSourceAttributions/);
    try {
      first.apply(plain, {});
    } catch (error) {
      expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    }
  });

  it("throws INVALID_INPUT when raw dims disagree with the tokens", () => {
    const wrong = { ...sequence, source: sequence.source.slice(0, 1) };
    expect(() => first.apply(wrong, {})).toThrow(/rawSourceAttributions is \[2, 2, 2\]/);
  });

  it("refuses unknown parameters", () => {
    const result = first.parameters["~standard"].validate({ p: 2 });
    expect("issues" in result && result.issues?.length).toBeTruthy();
  });
});
