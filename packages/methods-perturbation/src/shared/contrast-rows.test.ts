import type { MethodSequence } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { countForwardCalls, token } from "../models.test-helpers.ts";
import { attributedFunctionOf } from "./attributed-function.ts";
import {
  contrastRows,
  longestRowOf,
  promptPositions,
  stepContrastOf,
  withPromptOf,
} from "./contrast-rows.ts";

const toy = createToyModel({ seed: 4 });
const ids = (values: number[]) => values.map((id) => token(id));
const probDiff = attributedFunctionOf({ attributedFunction: { id: "contrast_prob_diff", parameters: {} } });
const probability = attributedFunctionOf({ attributedFunction: { id: "probability", parameters: {} } });

function sequenceWith(contrast: MethodSequence["contrast"], contrastTargetIds?: number[]): MethodSequence {
  return {
    source: ids([1, 5, 6]),
    target: ids([7, 8]),
    steps: [0, 1],
    ...(contrast ? { contrast } : {}),
    ...(contrastTargetIds ? { contrastTargetIds } : {}),
  };
}

describe("stepContrastOf", () => {
  it('tells a step\'s own input ("self") from a shared prompt and from another prompt ("fixed")', () => {
    const legacy = sequenceWith(undefined, [9, 10]);
    expect(stepContrastOf(legacy, 1)).toEqual({ targetId: 10, input: "self", ids: [1, 5, 6, 7] });
    expect(stepContrastOf(sequenceWith(undefined), 0)).toBeUndefined();
    const shared = sequenceWith({
      source: ids([1, 5, 6]),
      sharesSource: true,
      target: ids([7, 11, 12]),
      alignment: [0, 2],
    });
    expect(stepContrastOf(shared, 0)).toMatchObject({ input: "self", targetId: 7 });
    expect(stepContrastOf(shared, 1)).toEqual({ targetId: 12, input: "shared", ids: [1, 5, 6, 7, 11] });
    const fixed = sequenceWith({
      source: ids([1, 9]),
      sharesSource: false,
      target: ids([7, 8]),
      alignment: [0, 1],
    });
    expect(stepContrastOf(fixed, 1)).toEqual({ targetId: 8, input: "fixed", ids: [1, 9, 7] });
  });
});

describe("contrast rows", () => {
  const shared = {
    ids: [1, 5, 6],
    contrast: { targetId: 9, input: "shared" as const, ids: [1, 5, 6, 7, 11] },
  };
  const fixed = { ids: [1, 5, 6, 7], contrast: { targetId: 8, input: "fixed" as const, ids: [1, 9, 7] } };
  const self = { ids: [1, 5], contrast: { targetId: 8, input: "self" as const, ids: [1, 5] } };

  it("size the run by its longest row, contrast inputs included only when their logits are read", () => {
    expect(longestRowOf([shared, fixed, self], probDiff)).toBe(5);
    expect(longestRowOf([shared, fixed, self], probability)).toBe(4);
  });

  it("perturb a shared contrast's prompt only, and replace prompt tokens in place", () => {
    expect(promptPositions([2, 4, 0, 3], 3)).toEqual([2, 0]);
    expect(withPromptOf([1, 5, 6, 7, 11], [1, 0, 6, 0], 3)).toEqual([1, 0, 6, 7, 11]);
  });

  it("compute a fixed contrast's logits once per step, send a shared one beside each row, and none for self", async () => {
    const counted = countForwardCalls(toy);
    const rows = await contrastRows(counted.model, probDiff, [shared, fixed, self], {
      batchSize: 8,
      method: "test",
    });
    expect(counted.rowsPerCall).toEqual([1]);
    const { logits } = await toy.forward!({ inputs: { ids: [[1, 9, 7]] }, positions: [[2]] });
    expect(rows.side(fixed, undefined)).toEqual({ targetId: 8, logits: logits.data });
    expect(rows.row(fixed, () => ({ ids: [] }))).toBeUndefined();
    expect(rows.row(self, () => ({ ids: [] }))).toBeUndefined();
    expect(rows.side(self, undefined)).toEqual({ targetId: 8 });
    expect(rows.row(shared, (contrastIds) => ({ ids: [...contrastIds, 0] }))).toEqual({
      ids: [1, 5, 6, 7, 11, 0],
    });
    // A function that reads no contrast logits makes no model call and sends no rows.
    const none = await contrastRows(counted.model, probability, [shared, fixed], {
      batchSize: 8,
      method: "test",
    });
    expect(counted.rowsPerCall).toEqual([1]);
    expect(none.row(shared, () => ({ ids: [1] }))).toBeUndefined();
    expect(none.side(fixed, undefined)).toEqual({ targetId: 8 });
  });
});
