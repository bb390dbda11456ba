import { describe, expect, it } from "vitest";
import { makeSequence, nestRaw, roundMatrix } from "../testing/fixtures.ts";
import { mergeTokens, mergeUnits, reduceScores } from "./merge-units.ts";

const N = Number.NaN;

// Source: <s> | Hello | " wor" "ld"   Target: " a" | " big" "gest"
const sequence = makeSequence({
  source: [{ text: "<s>", span: null, special: true, id: 1 }, "Hello", " wor", "ld"],
  target: [" a", " big", "gest"],
  sourceAttributions: [
    [1, 2, 3, 4],
    [0.5, -1, 2, -2],
    [null, 1, 1, null],
  ],
  targetAttributions: [
    [null, null, null],
    [0.7, null, null],
    [0.1, 0.9, null],
  ],
  // Each raw cell is [x, 2x] for the score x above.
  rawSource: [
    [
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ],
    [
      [0.5, 1],
      [-1, -2],
      [2, 4],
      [-2, -4],
    ],
    [
      [N, N],
      [1, 2],
      [1, 2],
      [N, N],
    ],
  ],
  rawTarget: [
    [
      [N, N],
      [N, N],
      [N, N],
    ],
    [
      [0.7, 1.4],
      [N, N],
      [N, N],
    ],
    [
      [0.1, 0.2],
      [0.9, 1.8],
      [N, N],
    ],
  ],
  stepScores: { probability: [0.5, 0.2, 0.4], entropy: [1, null, 3] },
});
const sourceGroups = [[0], [1], [2, 3]];
const targetGroups = [[0], [1, 2]];

describe("mergeUnits", () => {
  it('reduce "sum": blocks add up their non-null cells, rows and columns alike', () => {
    const merged = mergeUnits(
      sequence,
      sourceGroups,
      targetGroups,
      { reduce: "sum", stepScores: "mean" },
      "test",
    );
    expect(roundMatrix(merged.sourceAttributions)).toEqual([
      [1, 2, 7],
      [0.5, 0, 1],
    ]);
    // (1,0) = 0.7 + 0.1; the 0.9 between two pieces of " biggest" is dropped.
    expect(roundMatrix(merged.targetAttributions)).toEqual([
      [null, null],
      [0.8, null],
    ]);
  });

  it.each([
    ["mean", [1, 2, 3.5], [0.5, 0, 1 / 3]],
    ["absmax", [1, 2, 4], [0.5, -1, 2]],
    ["max", [1, 2, 4], [0.5, 1, 2]],
  ] as const)('reduce "%s" combines the block cells accordingly', (reduce, row0, row1) => {
    const merged = mergeUnits(sequence, sourceGroups, targetGroups, { reduce, stepScores: "mean" }, "test");
    expect(roundMatrix(merged.sourceAttributions)).toEqual(roundMatrix([[...row0], [...row1]]));
  });

  it("sums raw tensors per dimension over the block, NaN cells skipped, causal blocks NaN", () => {
    const merged = mergeUnits(
      sequence,
      sourceGroups,
      targetGroups,
      { reduce: "mean", stepScores: "mean" },
      "test",
    );
    const rawSource = nestRaw(merged.rawSourceAttributions)!;
    expect(merged.rawSourceAttributions!.dims).toEqual([2, 3, 2]);
    expect(rawSource.map((row) => row.map((cell) => cell.map((v) => Math.round(v * 1e9) / 1e9)))).toEqual([
      [
        [1, 2],
        [2, 4],
        [7, 14],
      ],
      [
        [0.5, 1],
        [0, 0],
        [1, 2],
      ],
    ]);
    const rawTarget = nestRaw(merged.rawTargetAttributions)!;
    expect(rawTarget[0]!.flat().every(Number.isNaN)).toBe(true);
    expect(rawTarget[1]![0]!.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0.8, 1.6]);
    expect(rawTarget[1]![1]!.every(Number.isNaN)).toBe(true);
  });

  it("keeps Float32Array raw tensors as Float32Array", () => {
    const f32 = makeSequence({ source: ["a", "b"], target: ["c"], rawSource: [[[1], [2]]], float32: true });
    const merged = mergeUnits(f32, [[0, 1]], [[0]], { reduce: "sum", stepScores: "mean" }, "test");
    expect(merged.rawSourceAttributions!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(merged.rawSourceAttributions!.data)).toEqual([3]);
  });

  it.each([
    ["mean", [0.5, 0.3], [1, 3]],
    ["sum", [0.5, 0.6], [1, 3]],
    ["first", [0.5, 0.2], [1, 3]],
    ["last", [0.5, 0.4], [1, 3]],
  ] as const)('step scores "%s" of merged targets, nulls skipped', (stepScores, probability, entropy) => {
    const merged = mergeUnits(sequence, sourceGroups, targetGroups, { reduce: "sum", stepScores }, "test");
    expect(merged.stepScores.probability!.map((v) => Math.round(v! * 1e9) / 1e9)).toEqual(probability);
    expect(merged.stepScores.entropy).toEqual(entropy);
  });

  it("merges tokens: text slice under the joint span, id null, members, special only if all are", () => {
    const merged = mergeUnits(
      sequence,
      sourceGroups,
      targetGroups,
      { reduce: "sum", stepScores: "mean" },
      "test",
    );
    expect(merged.source).toEqual([
      { id: 1, text: "<s>", span: null, special: true, members: [0] },
      { id: 101, text: "Hello", span: [0, 5], special: false, members: [1] },
      { id: null, text: " world", span: [5, 11], special: false, members: [2, 3] },
    ]);
    expect(merged.target.map((token) => token.text)).toEqual([" a", " biggest"]);
  });

  it("leaves the input unchanged", () => {
    const before = structuredClone(sequence);
    mergeUnits(sequence, sourceGroups, targetGroups, { reduce: "sum", stepScores: "mean" }, "test");
    expect(sequence).toEqual(before);
  });

  it("refuses groups that are not an ordered partition", () => {
    const reductions = { reduce: "sum", stepScores: "mean" } as const;
    expect(() => mergeUnits(sequence, [[0], [2, 1], [3]], targetGroups, reductions, "test")).toThrow(
      /in order/,
    );
    expect(() => mergeUnits(sequence, [[0], [1, 2]], targetGroups, reductions, "test")).toThrow(
      /cover 3 of 4/,
    );
  });
});

describe("mergeTokens", () => {
  it("composes members through earlier merges and joins texts when no member has a span", () => {
    const once = mergeTokens(sequence.source, sourceGroups, sequence.sourceText);
    const twice = mergeTokens(once, [[0, 1, 2]], sequence.sourceText);
    // The text is the slice of the source text under the members' spans: span-less BOS adds none.
    expect(twice[0]).toEqual({
      id: null,
      text: "Hello world",
      span: [0, 11],
      special: false,
      members: [0, 1, 2, 3],
    });
    const bare = [
      { id: 1, text: "<s>", span: null, special: true },
      { id: 2, text: "</s>", span: null, special: true },
    ];
    expect(mergeTokens(bare, [[0, 1]], "")).toEqual([
      { id: null, text: "<s></s>", span: null, special: true, members: [0, 1] },
    ]);
  });
});

describe("reduceScores", () => {
  it("returns null for an empty block and reduces otherwise", () => {
    expect(reduceScores([], "sum")).toBeNull();
    expect(reduceScores([1, -3, 2], "sum")).toBe(0);
    expect(reduceScores([1, -3, 2], "mean")).toBe(0);
    expect(reduceScores([1, -3, 3], "absmax")).toBe(-3);
    expect(reduceScores([1, -3, 2], "max")).toBe(2);
  });
});
