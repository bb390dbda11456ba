import { beforeAll, describe, expect, it } from "vitest";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { aggregationSteps, keepsRawOnly } from "./aggregation-plan.ts";

beforeAll(() => registerCoreBuiltins());

describe("aggregationSteps", () => {
  it("defaults to L2 then per-step normalisation for per-dimension attributions (Inseq)", () => {
    expect(aggregationSteps(undefined, true, 64)).toEqual(["l2", "normalize"]);
    expect(aggregationSteps(undefined, false, 64)).toEqual(["l2"]);
  });

  it("adds no dimension reducer for scalar attributions", () => {
    expect(aggregationSteps(undefined, true, 1)).toEqual(["normalize"]);
    expect(aggregationSteps(["words"], false, 1)).toEqual(["words"]);
  });

  it("puts l2 before a list that does not start with a dimension reducer, and never normalises twice", () => {
    expect(aggregationSteps(["words"], true, 8)).toEqual(["l2", "words", "normalize"]);
    expect(aggregationSteps(["sum", "normalize", "words"], true, 8)).toEqual(["sum", "normalize", "words"]);
    expect(aggregationSteps([{ id: "l1" }], true, 8)).toEqual([{ id: "l1" }, "normalize"]);
  });

  it("applies nothing for an explicit empty list over per-dimension attributions (keep raw)", () => {
    expect(aggregationSteps([], true, 8)).toEqual([]);
    expect(aggregationSteps([], false, 8)).toEqual([]);
    expect(keepsRawOnly([], 8)).toBe(true);
    expect(keepsRawOnly([], 1)).toBe(false);
    expect(keepsRawOnly(undefined, 8)).toBe(false);
    // Scalar methods have nothing to reduce: the empty list only drops the default reduction.
    expect(aggregationSteps([], true, 1)).toEqual(["normalize"]);
  });
});
