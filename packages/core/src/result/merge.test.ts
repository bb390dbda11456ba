import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { makeResult, makeSequence, nestRaw } from "../testing/fixtures.ts";
import { mergeResults } from "./merge.ts";
import type { AttributionResult } from "./types.ts";

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const N = Number.NaN;
const one = makeSequence({ source: ["a", "b"], target: ["c"] });
const two = makeSequence({ source: ["x"], target: ["y", "z"] });

describe('mergeResults, mode "sequences"', () => {
  it("concatenates sequences, keeps the first info and sums durations", () => {
    const first = makeResult([one], { durationMs: 10 });
    const second = makeResult([two, one], {
      durationMs: 32,
      info: { startedAt: "2030-01-01T00:00:00.000Z" },
    });
    const merged = mergeResults([first, second]);
    expect(merged.sequences).toEqual([one, two, one]);
    expect(merged.info).toEqual({ ...first.info, durationMs: 42 });
    expect(merged.sequences[0]).not.toBe(one);
  });

  it.each([
    ["schemaVersion", { ...makeResult([two]), schemaVersion: 4 } as unknown as AttributionResult],
    ["model id", makeResult([two], { modelId: "other/model" })],
    ["method id", makeResult([two], { methodId: "integrated_gradients" })],
  ])("refuses a different %s with INCOMPATIBLE_RESULTS naming it", (field, other) => {
    const error = errorOf(() => mergeResults([makeResult([one]), other]));
    expect(isTokenscopeError(error, "INCOMPATIBLE_RESULTS")).toBe(true);
    expect((error as Error).message).toContain(`result 1 has ${field}`);
    expect((error as { details: Record<string, unknown> }).details.field).toBe(field);
  });

  it("refuses an empty list", () => {
    expect(
      isTokenscopeError(
        errorOf(() => mergeResults([])),
        "INVALID_INPUT",
      ),
    ).toBe(true);
  });
});

describe('mergeResults, mode "steps"', () => {
  // Target rows 0 and 2 attributed in run A, row 1 in run B.
  const common = { source: ["p", "q"], target: ["r", "s", "t"] };
  const runA = makeSequence({
    ...common,
    sourceAttributions: [
      [1, 2],
      [null, null],
      [5, 6],
    ],
    targetAttributions: [
      [null, null, null],
      [null, null, null],
      [8, 9, null],
    ],
    rawSource: [
      [[1], [2]],
      [[N], [N]],
      [[5], [6]],
    ],
    stepScores: { probability: [0.1, null, 0.3] },
    extras: { delta: [0.01, null, 0.03], runner: "a" },
  });
  const runB = makeSequence({
    ...common,
    sourceAttributions: [
      [null, null],
      [3, 4],
      [null, null],
    ],
    targetAttributions: [
      [null, null, null],
      [7, null, null],
      [null, null, null],
    ],
    rawSource: [
      [[N], [N]],
      [[3], [4]],
      [[N], [N]],
    ],
    stepScores: { probability: [null, 0.2, null] },
    extras: { delta: [null, 0.02, null], runner: "b" },
  });

  it("fills rows null in one run from the other", () => {
    const a = makeResult([runA], { durationMs: 5 });
    const b = makeResult([runB], { durationMs: 7 });
    const merged = mergeResults([a, b], { mode: "steps" });
    const sequence = merged.sequences[0]!;
    expect(sequence.sourceAttributions).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(sequence.targetAttributions).toEqual([
      [null, null, null],
      [7, null, null],
      [8, 9, null],
    ]);
    expect(nestRaw(sequence.rawSourceAttributions)).toEqual([
      [[1], [2]],
      [[3], [4]],
      [[5], [6]],
    ]);
    expect(sequence.stepScores).toEqual({ probability: [0.1, 0.2, 0.3] });
    expect(sequence.extras).toEqual({ delta: [0.01, 0.02, 0.03], runner: "a" });
    expect(merged.info.durationMs).toBe(12);
    expect(runA.sourceAttributions[1]).toEqual([null, null]);
  });

  it("accepts cells filled in both runs with equal values", () => {
    const merged = mergeResults([makeResult([runA]), makeResult([runA])], { mode: "steps" });
    expect(merged.sequences[0]!.sourceAttributions).toEqual(runA.sourceAttributions);
  });

  it("refuses a cell filled in both runs with different values", () => {
    const clash = {
      ...runB,
      sourceAttributions: [
        [1.5, null],
        [3, 4],
        [null, null],
      ],
    };
    const error = errorOf(() => mergeResults([makeResult([runA]), makeResult([clash])], { mode: "steps" }));
    expect(isTokenscopeError(error, "INCOMPATIBLE_RESULTS")).toBe(true);
    expect((error as Error).message).toMatch(/sourceAttributions\[0\]\[0\] is 1 in one result and 1.5/);
  });

  it("refuses different tokens, sequence counts or a raw tensor in one run only", () => {
    const otherTokens = makeSequence({ ...common, target: ["r", "s", "T"] });
    const tokensError = errorOf(() =>
      mergeResults([makeResult([runA]), makeResult([otherTokens])], { mode: "steps" }),
    );
    expect(isTokenscopeError(tokensError, "INCOMPATIBLE_RESULTS")).toBe(true);
    expect((tokensError as Error).message).toMatch(/target/);
    const countError = errorOf(() =>
      mergeResults([makeResult([runA]), makeResult([runB, runB])], { mode: "steps" }),
    );
    expect((countError as Error).message).toMatch(/result 1 has 2 sequences where result 0 has 1/);
    const { rawSourceAttributions: _, ...noRaw } = runB;
    const rawError = errorOf(() =>
      mergeResults([makeResult([runA]), makeResult([noRaw])], { mode: "steps" }),
    );
    expect((rawError as Error).message).toMatch(/rawSourceAttributions in one result only/);
  });

  it("refuses a different attributed function", () => {
    const other = makeResult([runB], { info: { attributedFunction: { id: "logit", parameters: {} } } });
    const error = errorOf(() => mergeResults([makeResult([runA]), other], { mode: "steps" }));
    expect((error as Error).message).toMatch(/attributed function id "logit"/);
  });
});
