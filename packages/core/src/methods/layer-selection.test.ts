import { describe, expect, it } from "vitest";
import { TokenscopeError } from "../errors/index.ts";
import { resolveSelection } from "./layer-selection.ts";

const resolve = (selection: Parameters<typeof resolveSelection>[0], count = 8) =>
  resolveSelection(selection, count, "layer", "test");

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof TokenscopeError ? error.code : "not a TokenscopeError";
  }
  return undefined;
}

describe("resolveSelection", () => {
  it("reads all, indices, lists, comma lists and ranges, with negative indices from the end", () => {
    expect(resolve("all", 4)).toEqual([0, 1, 2, 3]);
    expect(resolve(3)).toEqual([3]);
    expect(resolve(-1)).toEqual([7]);
    expect(resolve([5, 1, 5, -2])).toEqual([1, 5, 6]);
    expect(resolve("0, 2,5")).toEqual([0, 2, 5]);
    expect(resolve("2:5")).toEqual([2, 3, 4]);
    expect(resolve(":3")).toEqual([0, 1, 2]);
    expect(resolve("6:")).toEqual([6, 7]);
    expect(resolve("-3:-1")).toEqual([5, 6]);
    expect(resolve("-2")).toEqual([6]);
    expect(resolve([])).toEqual([]);
  });

  it("refuses out-of-range indices, empty or reversed ranges and text that is not a selection", () => {
    for (const bad of [8, -9, [0, 8], "5:2", "3:3", "0:9", "a:b", "1:2:3", "x", "", "1,,2", "1.5"]) {
      expect(
        codeOf(() => resolve(bad as never)),
        JSON.stringify(bad),
      ).toBe("INVALID_PARAMETERS");
    }
  });

  it("names the selection and the count in the message", () => {
    expect(() => resolve(12)).toThrow(/layer selection 12 names layer 12, but the model has 8 layers/);
  });
});
