import { TokenscopeError } from "../errors/index.ts";
import type { RawAttributions } from "../result/types.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { float16Bits, float16FromBits } from "./float16-bits.ts";
import { maxFiniteValue, type Precision } from "./precision.ts";

/** Element type of a raw tensor in a saved result. */
export type TensorDtype = "float16" | "float32" | "float64";

/** How a {@link RawAttributions} tensor is written: little-endian bytes, base64-encoded. */
export interface EncodedTensor {
  dims: [number, number, number];
  dtype: TensorDtype;
  encoding: "base64";
  data: string;
}

const bytesPer: Record<TensorDtype, number> = { float16: 2, float32: 4, float64: 8 };

// Typed arrays use the host's byte order; the file format is little-endian everywhere.
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes one element of `dtype` takes. */
export function bytesPerElement(dtype: TensorDtype): number {
  return bytesPer[dtype];
}

/**
 * The dtype a tensor is written with: the requested precision, but never wider
 * than the data (float64 bytes of a Float32Array would hold nothing more and
 * load back as a different array type).
 */
export function storedDtype(data: Float32Array | Float64Array, precision: Precision): TensorDtype {
  if (precision === "float64" && data instanceof Float32Array) return "float32";
  return precision;
}

/**
 * Encodes a raw tensor at `precision`. NaN (empty cells) survives; a finite
 * value too large for float16 throws `INVALID_INPUT` naming `path`, since it
 * would silently become Infinity.
 */
export function encodeRawAttributions(
  raw: RawAttributions,
  precision: Precision,
  path: string,
): EncodedTensor {
  const dtype = storedDtype(raw.data, precision);
  return {
    dims: [...raw.dims],
    dtype,
    encoding: "base64",
    data: encodeBase64(toBytes(raw.data, dtype, path)),
  };
}

function toBytes(data: Float32Array | Float64Array, dtype: TensorDtype, path: string): Uint8Array {
  if (dtype === "float16") return float16Bytes(data, path);
  const typed = dtype === "float32" ? (data instanceof Float32Array ? data : new Float32Array(data)) : data;
  if (littleEndianHost) return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const view = new DataView(new ArrayBuffer(typed.length * bytesPer[dtype]));
  for (let index = 0; index < typed.length; index++) {
    if (dtype === "float32") view.setFloat32(index * 4, typed[index]!, true);
    else view.setFloat64(index * 8, typed[index]!, true);
  }
  return new Uint8Array(view.buffer);
}

function float16Bytes(data: Float32Array | Float64Array, path: string): Uint8Array {
  const bytes = new Uint8Array(data.length * 2);
  for (let index = 0; index < data.length; index++) {
    const value = data[index]!;
    const bits = float16Bits(value);
    if ((bits & 0x7fff) === 0x7c00 && Number.isFinite(value)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Cannot save the result: ${path} element ${index} is ${value}, beyond float16's largest value ${maxFiniteValue("float16")}.`,
        { hint: 'Save with precision "float32".', details: { path, index, value } },
      );
    }
    bytes[index * 2] = bits & 255;
    bytes[index * 2 + 1] = bits >> 8;
  }
  return bytes;
}

/**
 * Decodes a tensor written by {@link encodeRawAttributions}: Float64Array for
 * float64, Float32Array for float32 and float16. Throws a plain Error on bad
 * base64; callers add the field path.
 */
export function decodeRawAttributions(encoded: EncodedTensor): RawAttributions {
  const bytes = decodeBase64(encoded.data);
  const dims: [number, number, number] = [...encoded.dims];
  if (encoded.dtype === "float64") return { dims, data: fromBytes(bytes, 8) as Float64Array };
  if (encoded.dtype === "float32") return { dims, data: fromBytes(bytes, 4) as Float32Array };
  const data = new Float32Array(bytes.byteLength / 2);
  for (let index = 0; index < data.length; index++) {
    data[index] = float16FromBits(bytes[index * 2]! | (bytes[index * 2 + 1]! << 8));
  }
  return { dims, data };
}

function fromBytes(bytes: Uint8Array, width: 4 | 8): Float32Array | Float64Array {
  const length = bytes.byteLength / width;
  // decodeBase64 returns a fresh, zero-offset buffer, so the view is aligned.
  if (littleEndianHost)
    return width === 4
      ? new Float32Array(bytes.buffer, 0, length)
      : new Float64Array(bytes.buffer, 0, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = width === 4 ? new Float32Array(length) : new Float64Array(length);
  for (let index = 0; index < length; index++) {
    data[index] = width === 4 ? view.getFloat32(index * 4, true) : view.getFloat64(index * 8, true);
  }
  return data;
}
