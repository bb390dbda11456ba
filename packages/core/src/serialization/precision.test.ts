import { f16round } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./fixtures.test-helpers.ts";
import { roundToPrecision } from "./precision.ts";

/** Values across many binades, with signs, including float16 subnormals. */
function sampleValues(count: number, maxExponent: number): number[] {
  const random = seededRandom(7);
  return Array.from(
    { length: count },
    () => (random() < 0.5 ? -1 : 1) * random() * 2 ** Math.floor(random() * 2 * maxExponent - maxExponent),
  );
}

function significantDigits(value: number): number {
  return value.toExponential().split("e")[0]!.replace(/[-.]/g, "").length;
}

describe("roundToPrecision", () => {
  // Each value is checked in plain code and the failures asserted once: the same checks as an expect
  // per value, without some 100,000 expect calls (seconds on a busy 2-core machine).
  it("leaves float64 values untouched", () => {
    const changed = sampleValues(1000, 60).filter(
      (value) => !Object.is(roundToPrecision(value, "float64"), value),
    );
    expect(changed).toEqual([]);
  });

  for (const [precision, round, maxDigits, maxExponent] of [
    ["float32", Math.fround, 9, 100],
    ["float16", f16round, 5, 15],
  ] as const) {
    describe(precision, () => {
      const values = sampleValues(20_000, maxExponent);

      it("round-trips through JSON text to the same value at that precision", () => {
        const failures: string[] = [];
        for (const value of values) {
          const written = JSON.stringify(roundToPrecision(value, precision));
          if (!Object.is(round(Number(written)), round(value)))
            failures.push(`${value} written as ${written}`);
        }
        expect(failures.length, failures.slice(0, 20).join("\n")).toBe(0);
      });

      it("writes the fewest digits that round-trip", () => {
        const failures: string[] = [];
        for (const value of values) {
          const stored = roundToPrecision(value, precision);
          if (stored === 0) continue;
          const digits = significantDigits(stored);
          if (digits > maxDigits) failures.push(`${value} stored as ${stored}: ${digits} digits`);
          if (digits > 1 && Object.is(round(Number(stored.toPrecision(digits - 1))), round(value)))
            failures.push(`${value} stored as ${stored}: ${digits - 1} digits round-trip too`);
        }
        expect(failures.length, failures.slice(0, 20).join("\n")).toBe(0);
      });
    });
  }

  it("gives the short decimals people expect", () => {
    expect(roundToPrecision(0.1, "float32")).toBe(0.1);
    expect(roundToPrecision(1 / 3, "float32")).toBe(0.33333334);
    expect(roundToPrecision(16777217, "float32")).toBe(16777216);
    expect(roundToPrecision(1 / 3, "float16")).toBe(0.3333);
    expect(roundToPrecision(0.1, "float16")).toBe(0.1);
    // float16 steps by 32 near its maximum: 65500 is the shortest name of 65504.
    expect(roundToPrecision(65504, "float16")).toBe(65500);
    expect(f16round(65500)).toBe(65504);
    // float16 subnormals are multiples of 2^-24 ≈ 5.96e-8: 7e-8 is stored as 2^-24, named "6e-8".
    expect(roundToPrecision(7e-8, "float16")).toBe(6e-8);
    expect(f16round(6e-8)).toBe(2 ** -24);
    expect(roundToPrecision(1e-7, "float16")).toBe(1e-7);
    expect(f16round(1e-7)).toBe(2 ** -23);
  });

  it("returns Infinity on overflow for the caller to reject", () => {
    expect(roundToPrecision(70000, "float16")).toBe(Number.POSITIVE_INFINITY);
    expect(roundToPrecision(-1e39, "float32")).toBe(Number.NEGATIVE_INFINITY);
    expect(roundToPrecision(Number.NaN, "float32")).toBeNaN();
  });
});
