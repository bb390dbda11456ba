import { f16round } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import type { RawAttributions } from "../result/types.ts";
import { decodeRawAttributions, encodeRawAttributions } from "./raw-tensor.ts";

const values = [
  1,
  -2.5,
  Number.NaN,
  0.1,
  1e-6,
  -65504,
  3.4e38,
  Number.NEGATIVE_INFINITY,
  1 / 3,
  0,
  12345.678,
  -0.001,
];
const raw32: RawAttributions = { dims: [2, 3, 2], data: Float32Array.from(values) };
const raw64: RawAttributions = { dims: [2, 3, 2], data: Float64Array.from(values) };

describe("raw tensor encoding", () => {
  it("writes little-endian bytes in base64", () => {
    // 1.0f is 0x3f800000: bytes 00 00 80 3f.
    expect(encodeRawAttributions({ dims: [1, 1, 1], data: Float32Array.of(1) }, "float32", "x").data).toBe(
      "AACAPw==",
    );
    // 1.0 (float16) is 0x3c00: bytes 00 3c.
    expect(encodeRawAttributions({ dims: [1, 1, 1], data: Float32Array.of(1) }, "float16", "x").data).toBe(
      "ADw=",
    );
  });

  it("round-trips float64 and float32 exactly, NaN and infinities included", () => {
    const encoded64 = encodeRawAttributions(raw64, "float64", "x");
    expect(encoded64.dtype).toBe("float64");
    const decoded64 = decodeRawAttributions(encoded64);
    expect(decoded64.data).toBeInstanceOf(Float64Array);
    expect(decoded64).toEqual(raw64);
    const decoded32 = decodeRawAttributions(encodeRawAttributions(raw32, "float32", "x"));
    expect(decoded32.data).toBeInstanceOf(Float32Array);
    expect(decoded32).toEqual(raw32);
  });

  it("never widens: a Float32Array saved at float64 stays float32", () => {
    const encoded = encodeRawAttributions(raw32, "float64", "x");
    expect(encoded.dtype).toBe("float32");
    expect(decodeRawAttributions(encoded)).toEqual(raw32);
  });

  it("narrows float64 to float32 with Math.fround", () => {
    const decoded = decodeRawAttributions(encodeRawAttributions(raw64, "float32", "x"));
    expect(decoded.data).toEqual(Float32Array.from(values));
  });

  it("stores float16 as f16round of each value, loaded as Float32Array", () => {
    const finite = values.filter((value) => Math.abs(value) <= 65504 || !Number.isFinite(value));
    const raw: RawAttributions = { dims: [1, 1, finite.length], data: Float64Array.from(finite) };
    const encoded = encodeRawAttributions(raw, "float16", "x");
    expect(encoded.dtype).toBe("float16");
    expect(encoded.data.length).toBe(Math.ceil((finite.length * 2) / 3) * 4);
    const decoded = decodeRawAttributions(encoded);
    expect(decoded.data).toBeInstanceOf(Float32Array);
    expect(decoded.data).toEqual(Float32Array.from(finite, f16round));
    expect(Number.isNaN(decoded.data[finite.findIndex(Number.isNaN)])).toBe(true);
  });

  it("refuses a finite value beyond float16's range, naming the tensor and element", () => {
    const error = (() => {
      try {
        encodeRawAttributions(raw32, "float16", "sequences[0].rawSourceAttributions");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect((error as Error).message).toContain("sequences[0].rawSourceAttributions element 6 is 3.39");
  });
});
