import { describe, expect, it } from "vitest";
import { dequantize, ggmlByteLength, ggmlTypeId, ggmlTypeName, quantize } from "./quantization.ts";

/** One block built by hand: an fp16 scale then the payload bytes. */
function block(scaleBits: number, payload: number[]): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  new DataView(out.buffer).setUint16(0, scaleBits, true);
  payload.forEach((byte, i) => {
    out[2 + i] = byte & 0xff;
  });
  return out;
}

describe("GGML block formats", () => {
  it("knows the type ids and block sizes of llama.cpp", () => {
    expect([
      ggmlTypeId("F32"),
      ggmlTypeId("F16"),
      ggmlTypeId("Q4_0"),
      ggmlTypeId("Q8_0"),
      ggmlTypeId("BF16"),
    ]).toEqual([0, 1, 2, 8, 30]);
    expect(ggmlTypeName(12)).toBe("Q4_K");
    expect(ggmlTypeName(16)).toBeUndefined(); // IQ2_XXS
    expect(ggmlByteLength("Q8_0", 64)).toBe(68);
    expect(ggmlByteLength("Q4_0", 64)).toBe(36);
    expect(() => ggmlByteLength("Q8_0", 40)).toThrow(/not whole Q8_0 blocks/);
  });

  it("dequantizes a hand-made Q8_0 block: x = d * q", () => {
    const q = [-128, -1, 0, 1, 127, ...Array.from({ length: 27 }, (_, i) => i - 13)];
    const values = dequantize("Q8_0", block(0x3800, q), 32); // d = 0.5
    expect(Array.from(values)).toEqual(q.map((v) => v * 0.5));
  });

  it("dequantizes a hand-made Q4_0 block: low nibbles first, x = d * (q - 8)", () => {
    const packed = Array.from({ length: 16 }, (_, j) => (15 - j) | (j << 4));
    const values = dequantize("Q4_0", block(0xc000, packed), 32); // d = -2
    expect(Array.from(values.subarray(0, 16))).toEqual(packed.map((_, j) => -2 * (15 - j - 8)));
    expect(Array.from(values.subarray(16))).toEqual(packed.map((_, j) => -2 * (j - 8)));
  });

  it("quantizes Q8_0 like ggml: scale max|x| / 127, the largest value on the grid exactly", () => {
    const values = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i) * 3);
    const bytes = quantize("Q8_0", values);
    const amax = Math.max(...values.map(Math.abs));
    const scaleBits = new DataView(bytes.buffer).getUint16(0, true);
    expect(dequantize("F16", new Uint8Array(new Uint16Array([scaleBits]).buffer), 1)[0]).toBeCloseTo(
      amax / 127,
      5,
    );
    const largest = values.findIndex((v) => Math.abs(v) === amax);
    expect(Math.abs(new Int8Array(bytes.buffer)[2 + largest]!)).toBe(127);
  });

  it("quantizes Q4_0 like ggml: the value of largest magnitude maps to level 0 (-8 * d)", () => {
    const values = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? -4 : (i % 7) - 3));
    const back = dequantize("Q4_0", quantize("Q4_0", values), 32);
    expect(back[5]).toBe(-4);
    // d = -4 / -8 = 0.5: every integer in [-3.5, 3.5] sits on the grid.
    expect(Array.from(back)).toEqual(Array.from(values));
  });

  it("keeps an all-zero block at zero", () => {
    for (const type of ["Q8_0", "Q4_0"] as const) {
      expect(dequantize(type, quantize(type, new Float32Array(32)), 32).every((v) => v === 0)).toBe(true);
    }
  });
});
