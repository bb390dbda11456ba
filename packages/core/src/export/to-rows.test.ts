import { describe, expect, it } from "vitest";
import { makeResult, makeSequence } from "../testing/fixtures.ts";
import { stepScoreColumn, toRows } from "./to-rows.ts";

describe("toRows", () => {
  const sequence = makeSequence({
    source: ["Hi", " there"],
    target: [" yo", "!"],
    sourceAttributions: [
      [0.5, null],
      [0.25, -0.75],
    ],
    targetAttributions: [
      [null, null],
      [0.125, null],
    ],
    stepScores: { probability: [0.9, 0.4], score: [1, 2] },
  });

  it("gives one row per non-null cell, source cells then target-prefix cells, with step scores", () => {
    const rows = toRows(makeResult([sequence, sequence]));
    expect(rows).toHaveLength(8);
    expect(rows.slice(0, 4)).toEqual([
      {
        sequence: 0,
        targetIndex: 0,
        targetText: " yo",
        sourceKind: "source",
        sourceIndex: 0,
        sourceText: "Hi",
        score: 0.5,
        probability: 0.9,
        step_score: 1,
      },
      {
        sequence: 0,
        targetIndex: 1,
        targetText: "!",
        sourceKind: "source",
        sourceIndex: 0,
        sourceText: "Hi",
        score: 0.25,
        probability: 0.4,
        step_score: 2,
      },
      {
        sequence: 0,
        targetIndex: 1,
        targetText: "!",
        sourceKind: "source",
        sourceIndex: 1,
        sourceText: " there",
        score: -0.75,
        probability: 0.4,
        step_score: 2,
      },
      {
        sequence: 0,
        targetIndex: 1,
        targetText: "!",
        sourceKind: "target",
        sourceIndex: 0,
        sourceText: " yo",
        score: 0.125,
        probability: 0.4,
        step_score: 2,
      },
    ]);
    expect(rows[4]!.sequence).toBe(1);
  });

  it("keeps a step score named like a fixed column out of that column", () => {
    expect(stepScoreColumn("score")).toBe("step_score");
    expect(stepScoreColumn("entropy")).toBe("entropy");
  });
});
