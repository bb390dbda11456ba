import { isTokenscopeError } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { columnToken, sequenceViews } from "./sequence-view.ts";

const result = makeResult([
  makeSequence({
    source: [{ text: "", special: true, span: null, piece: "<s>" }, "Hi", " there"],
    target: [" you", "!\n"],
    sourceAttributions: [
      [0, 0.5, -0.25],
      [0, 0.1, 1],
    ],
    targetAttributions: [
      [0.3, null],
      [-0.75, 0.2],
    ],
    stepScores: { probability: [0.9, 0.45], entropy: [1, 2] },
  }),
  makeSequence({
    source: ["a"],
    target: ["b"],
    sourceAttributions: [[2]],
    targetAttributions: null,
    stepScores: { entropy: [3] },
  }),
]);

describe("sequenceViews", () => {
  it("lays out source then target-prefix columns, emptying cells at or after their own step", () => {
    const [view] = sequenceViews(result, { sequence: 0 }, "test");
    expect(view!.columns.map((c) => `${c.group}${c.index}`)).toEqual([
      "source0",
      "source1",
      "source2",
      "prefix0",
      "prefix1",
    ]);
    // [0][3] is a prefix cell at its own step: empty even though the matrix holds 0.3.
    expect(view!.cells).toEqual([
      [0, 0.5, -0.25, null, null],
      [0, 0.1, 1, -0.75, null],
    ]);
    expect(view!.scale.kind).toBe("diverging");
    expect(view!.scale.high).toBe(1);
    expect(columnToken(view!, view!.columns[0]!).label).toBe("<s>");
    expect(view!.target[1]!.label).toBe("!↵");
    expect(view!.stepScores.map((s) => [s.id, s.values])).toEqual([
      ["probability", [0.9, 0.45]],
      ["entropy", [1, 2]],
    ]);
  });

  it("drops the prefix on request, picks step scores and sequences", () => {
    const views = sequenceViews(result, { showTargetPrefix: false, stepScores: ["entropy"] }, "test");
    expect(views.map((v) => v.index)).toEqual([0, 1]);
    expect(views[0]!.columns).toHaveLength(3);
    expect(views[0]!.stepScores.map((s) => s.id)).toEqual(["entropy"]);
    expect(views[1]!.scale.kind).toBe("sequential");
  });

  it("names a missing sequence or step score", () => {
    const fail = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isTokenscopeError(error) ? error.code : "other";
      }
      return "none";
    };
    expect(fail(() => sequenceViews(result, { sequence: 5 }, "test"))).toBe("INVALID_INPUT");
    expect(fail(() => sequenceViews(result, { sequence: 1, stepScores: ["x"] }, "test"))).toBe(
      "INVALID_INPUT",
    );
  });
});
