import { f16round, getFloat16, setFloat16 } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./fixtures.test-helpers.ts";
import { float16Bits, float16FromBits } from "./float16-bits.ts";

describe("float16 bits", () => {
  // Every case is compared in plain code and the mismatches asserted once: the same checks as an
  // expect per case (Object.is, as toBe), without 200,000 expect calls (20 s on a busy 2-core machine).
  it("decodes all 65536 bit patterns as @petamoriken/float16 does, and encodes them back", () => {
    const view = new DataView(new ArrayBuffer(2));
    const mismatches: string[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      view.setUint16(0, bits);
      const expected = getFloat16(view, 0);
      const value = float16FromBits(bits);
      if (Number.isNaN(expected)) {
        if (!Number.isNaN(value)) mismatches.push(`0x${bits.toString(16)} decodes to ${value}, not NaN`);
        continue;
      }
      if (!Object.is(value, expected))
        mismatches.push(`0x${bits.toString(16)} decodes to ${value}, not ${expected}`);
      const encoded = float16Bits(value);
      if (encoded !== bits)
        mismatches.push(`${value} encodes to 0x${encoded.toString(16)}, not 0x${bits.toString(16)}`);
    }
    expect(mismatches.length, mismatches.slice(0, 20).join("\n")).toBe(0);
  });

  it("rounds doubles as f16round does: random values, every midpoint, overflow", () => {
    const random = seededRandom(3);
    const values: number[] = [
      65504,
      65519.99,
      65520,
      1e6,
      2 ** -25,
      2 ** -25 * 1.0001,
      2 ** -24 * 1.5,
      2 ** -14 * (1 - 2 ** -12),
    ];
    for (let index = 0; index < 50_000; index++) {
      values.push((random() - 0.5) * 2 ** Math.floor(random() * 44 - 28));
    }
    // Midpoints between neighbouring halves are exact doubles: ties go to the even neighbour.
    for (let bits = 0; bits < 0x7bff; bits += 7)
      values.push((float16FromBits(bits) + float16FromBits(bits + 1)) / 2);
    const view = new DataView(new ArrayBuffer(2));
    const mismatches: string[] = [];
    for (const value of [...values, ...values.map((item) => -item)]) {
      setFloat16(view, 0, value);
      const bits = float16Bits(value);
      if (bits !== view.getUint16(0))
        mismatches.push(
          `${value} encodes to 0x${bits.toString(16)}, not 0x${view.getUint16(0).toString(16)}`,
        );
      const rounded = float16FromBits(bits);
      if (!Object.is(rounded, f16round(value)))
        mismatches.push(`${value} rounds to ${rounded}, not ${f16round(value)}`);
    }
    expect(mismatches.length, mismatches.slice(0, 20).join("\n")).toBe(0);
  });

  it("rounds straight from float64, not twice through float32", () => {
    // Just above the midpoint of 1 and 1 + 2^-10: float32 rounds it onto the midpoint (a tie, to even: 1),
    // but the double itself is nearer 1 + 2^-10.
    const value = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(value)).toBe(1 + 2 ** -11);
    expect(float16FromBits(float16Bits(value))).toBe(1 + 2 ** -10);
    expect(float16FromBits(float16Bits(Math.fround(value)))).toBe(1);
  });

  it("keeps NaN, infinities and signed zero", () => {
    expect(float16Bits(Number.NaN)).toBe(0x7e00);
    expect(float16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(float16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(Object.is(float16FromBits(0x8000), -0)).toBe(true);
  });
});
