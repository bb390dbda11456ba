import { describe, expect, it } from "vitest";
import { formatScore } from "./format-score.ts";

describe("formatScore", () => {
  it("prints digits, blanks empty cells and drops the sign of a rounded zero", () => {
    expect(formatScore(0.12345, 2)).toBe("0.12");
    expect(formatScore(-1.5, 0)).toBe("-2");
    expect(formatScore(-0.0001, 2)).toBe("0.00");
    expect(formatScore(null, 2)).toBe("");
    expect(formatScore(undefined, 2)).toBe("");
  });

  it("keeps non-finite scores short and visible", () => {
    expect(formatScore(Number.NaN, 2)).toBe("NaN");
    expect(formatScore(Number.POSITIVE_INFINITY, 2)).toBe("+∞");
    expect(formatScore(Number.NEGATIVE_INFINITY, 2)).toBe("-∞");
  });
});
