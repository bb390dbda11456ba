import { f16round, getFloat16, setFloat16 } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./fixtures.test-helpers.ts";
import { float16Bits, float16FromBits } from "./float16-bits.ts";

describe("float16 bits", () => {
  it("decodes all 65536 bit patterns as @petamoriken/float16 does, and encodes them back", () => {
    const view = new DataView(new ArrayBuffer(2));
    for (let bits = 0; bits < 65536; bits++) {
      view.setUint16(0, bits);
      const expected = getFloat16(view, 0);
      const value = float16FromBits(bits);
      if (Number.isNaN(expected)) {
        expect(value).toBeNaN();
        continue;
      }
      expect(value).toBe(expected);
      expect(float16Bits(value)).toBe(bits);
    }
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
    for (const value of [...values, ...values.map((item) => -item)]) {
      setFloat16(view, 0, value);
      expect(float16Bits(value)).toBe(view.getUint16(0));
      expect(float16FromBits(float16Bits(value))).toBe(f16round(value));
    }
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
