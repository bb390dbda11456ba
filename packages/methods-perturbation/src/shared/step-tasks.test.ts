import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { toySequence } from "../models.test-helpers.ts";
import { stepTasks } from "./step-tasks.ts";
import { textOfTokens } from "./token-text.ts";
import { unitGroups } from "./units.ts";

const toy = createToyModel();

describe("stepTasks", () => {
  it("trims each step's input to its prediction position and never offers later target tokens", async () => {
    const sequence = await toySequence(toy, "ab", "cde");
    sequence.steps = [2, 0];
    const tasks = stepTasks(
      { sequences: [sequence], attributeTarget: true },
      { units: { kind: "token", owner: "test" }, includeSpecial: false },
    );
    expect(tasks.map((task) => task.step)).toEqual([0, 2]);
    // Source BOS a b (positions 0..2); target c d e at positions 3..5.
    expect(tasks[0]!.ids).toHaveLength(3);
    expect(tasks[0]!.features).toEqual([[1], [2]]);
    expect(tasks[1]!.ids).toHaveLength(5);
    expect(tasks[1]!.features).toEqual([[1], [2], [3], [4]]);
    expect(tasks[1]!.targetId).toBe(sequence.target[2]!.id);
  });

  it("keeps only the earlier part of a target word that reaches the step; BOS only with includeSpecial", async () => {
    const sequence = await toySequence(toy, "a", "bc d");
    sequence.steps = [1];
    const [task] = stepTasks(
      { sequences: [sequence], attributeTarget: true },
      { units: { kind: "word", owner: "test" }, includeSpecial: true },
    );
    expect(task!.features).toEqual([[0], [1], [2]]);
  });

  it("rejects steps outside the target", async () => {
    const sequence = await toySequence(toy, "a", "b");
    sequence.steps = [1];
    expect(() =>
      stepTasks(
        { sequences: [sequence], attributeTarget: false },
        { units: { kind: "token", owner: 'Method "x"' }, includeSpecial: false },
      ),
    ).toThrow(/step 1/);
  });
});

describe("units", () => {
  it("rebuilds the text from spans, right-aligning a text shorter than its span", () => {
    const tokens = [
      { id: 1, text: "", span: null, special: true },
      { id: 2, text: "Hi", span: [0, 2] as [number, number], special: false },
      { id: 3, text: "you", span: [2, 6] as [number, number], special: false },
    ];
    expect(textOfTokens(tokens)).toBe("Hi you");
    expect(unitGroups(tokens, "source", { kind: "word", owner: "t" })).toEqual([[0], [1], [2]]);
  });

  it("makes user groups a partition and rejects overlaps", () => {
    const tokens = Array.from({ length: 5 }, (_, id) => ({ id, text: "x", span: null, special: false }));
    expect(
      unitGroups(tokens, "source", { kind: "group", groups: { source: [[3, 1]], target: [] }, owner: "t" }),
    ).toEqual([[0], [1, 3], [2], [4]]);
    expect(() =>
      unitGroups(tokens, "source", {
        kind: "group",
        groups: { source: [[1], [1, 2]], target: [] },
        owner: "t",
      }),
    ).toThrow(/two groups/);
  });
});
