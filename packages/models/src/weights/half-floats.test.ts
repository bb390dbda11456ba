import { describe, expect, it } from "vitest";
import { bf16BitsToFloat32, f16BitsToFloat32, numbersToBf16Bits, numbersToF16Bits } from "./half-floats.ts";

describe("fp16", () => {
  it("decodes every bit pattern and encodes it back to the same bits (NaNs stay NaN)", () => {
    const all = Uint16Array.from({ length: 65536 }, (_, bits) => bits);
    const values = f16BitsToFloat32(all);
    const back = numbersToF16Bits(values);
    const mismatches: string[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      const nanPattern = (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
      const ok = nanPattern ? Number.isNaN(values[bits]) : back[bits] === bits;
      if (!ok) mismatches.push(`0x${bits.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("knows reference values and rounds to nearest even", () => {
    expect(Array.from(f16BitsToFloat32(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00])))).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      Number.POSITIVE_INFINITY,
    ]);
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(Array.from(numbersToF16Bits([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000]))).toEqual([
      0x3c00, 0x3c02, 0x7c00,
    ]);
  });
});

describe("bf16", () => {
  it("is the top half of an fp32", () => {
    expect(Array.from(bf16BitsToFloat32(new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x0001])))).toEqual([
      1,
      -3,
      Number.POSITIVE_INFINITY,
      2 ** -133,
    ]);
  });

  it("rounds to nearest even and keeps NaN a NaN", () => {
    const fromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
    const encoded = numbersToBf16Bits([
      fromBits(0x3f808000),
      fromBits(0x3f818000),
      fromBits(0x3f808001),
      Number.NaN,
    ]);
    expect(Array.from(encoded.subarray(0, 3))).toEqual([0x3f80, 0x3f82, 0x3f81]);
    expect(Number.isNaN(bf16BitsToFloat32(encoded.subarray(3))[0])).toBe(true);
    // A NaN whose payload sits in the low half only must not truncate to Infinity.
    expect(Number.isNaN(bf16BitsToFloat32(numbersToBf16Bits([fromBits(0x7f800001)]))[0])).toBe(true);
  });
});
