import { beforeAll, describe, expect, it } from "vitest";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { aggregationSteps } from "./aggregation-plan.ts";

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
});
