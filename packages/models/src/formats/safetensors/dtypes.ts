import { bf16BitsToFloat32, f16BitsToFloat32 } from "../../weights/half-floats.ts";
import { copyFloat32LE, copyUint16LE } from "../binary.ts";

/** Element types tokenscope reads and writes in safetensors files. */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Bytes per element of each supported dtype. */
export const safetensorsDtypeBytes: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** True when `dtype` is one of {@link SafetensorsDtype}. */
export function isSafetensorsDtype(dtype: unknown): dtype is SafetensorsDtype {
  return typeof dtype === "string" && Object.hasOwn(safetensorsDtypeBytes, dtype);
}

/**
 * Converts little-endian elements of `dtype` to fp32. Exact for F16, BF16 and integers up to 2^24;
 * F64 and larger integers round to the nearest fp32.
 */
export function bytesToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const count = bytes.byteLength / safetensorsDtypeBytes[dtype];
  // Copy first so that typed-array views are aligned whatever the offset in the file.
  const aligned = () => bytes.slice().buffer;
  switch (dtype) {
    case "F32":
      return copyFloat32LE(bytes, 0, count);
    case "F16":
      return f16BitsToFloat32(copyUint16LE(bytes, 0, count));
    case "BF16":
      return bf16BitsToFloat32(copyUint16LE(bytes, 0, count));
    case "F64":
      return Float32Array.from(new Float64Array(aligned()));
    case "I64":
      return Float32Array.from(new BigInt64Array(aligned()), (value) => Number(value));
    case "I32":
      return Float32Array.from(new Int32Array(aligned()));
    case "I16":
      return Float32Array.from(new Int16Array(aligned()));
    case "I8":
      return Float32Array.from(new Int8Array(aligned()));
    case "U8":
    case "BOOL":
      return Float32Array.from(new Uint8Array(aligned()));
  }
}

/** The floating-point dtypes a random checkpoint may be written in, as `torch_dtype` names them. */
export const torchDtypeNames = { F32: "float32", F16: "float16", BF16: "bfloat16" } as const;
