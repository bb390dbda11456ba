import { describe, expect, it } from "vitest";
import { averagePrecision } from "./auprc.ts";

describe("averagePrecision (step-wise, as scikit-learn's average_precision_score)", () => {
  it("matches scikit-learn's documented example", () => {
    // y_true [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]: sklearn gives 0.8333...
    // From the top: 0.8 (+) P=1 R=1/2; 0.4 (-) P=1/2 R=1/2; 0.35 (+) P=2/3 R=1; 0.1 (-) R=1.
    // AP = 1/2·1 + 0 + 1/2·2/3 + 0 = 5/6.
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(5 / 6, 12);
  });

  it("lets tied scores enter together at one threshold", () => {
    // Threshold 1: three words, two positive: P=2/3, R=2/3 -> 2/3·2/3 = 4/9.
    // Threshold 0: four words, three positive: P=3/4, R=1 -> 1/3·3/4 = 1/4.
    expect(averagePrecision([1, 1, 1, 0], [true, true, false, true])).toBeCloseTo(4 / 9 + 1 / 4, 12);
    // A positive tied with a negative at the top: 0.5 -> P=1/2, R=1/2 (1/4); 0.2 adds nothing; 0.1 ->
    // P=1/2, R=1 (1/4).
    expect(averagePrecision([0.5, 0.5, 0.2, 0.1], [true, false, false, true])).toBeCloseTo(0.5, 12);
  });

  it("gives the positive rate for a row of equal (e.g. all-zero) scores", () => {
    expect(averagePrecision([0, 0, 0, 0, 0], [true, false, true, false, false])).toBeCloseTo(0.4, 12);
  });

  it("is 1 for a perfect ranking and ignores the order of the input", () => {
    expect(averagePrecision([3, 2, 1], [true, true, false])).toBe(1);
    expect(averagePrecision([1, 3, 2], [false, true, true])).toBe(1);
  });

  it("is NaN without positives and rejects mismatched lengths and NaN scores", () => {
    expect(averagePrecision([1, 2], [false, false])).toBeNaN();
    expect(() => averagePrecision([1, 2], [true])).toThrow(/2 scores but 1 labels/);
    expect(() => averagePrecision([1, Number.NaN], [true, false])).toThrow(/score 1 is NaN/);
  });
});
