/**
 * Element types: ONNX enum numbers, byte widths and typed-array storage for each {@link DataType}.
 */
import { TensorBackendError } from "../errors.ts";
import type { DataType, TensorElements } from "./types.ts";

/** ONNX `TensorProto.DataType` number for each supported {@link DataType}. */
export const ONNX_DATA_TYPE: Readonly<Record<DataType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
};

const DATA_TYPE_BY_NUMBER: ReadonlyMap<number, DataType> = new Map(
  Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as DataType]),
);

/** Names of the ONNX element types tokenscope does not hold (for error messages). */
const UNSUPPORTED_NAMES: Readonly<Record<number, string>> = {
  0: "UNDEFINED",
  14: "COMPLEX64",
  15: "COMPLEX128",
  17: "FLOAT8E4M3FN",
  18: "FLOAT8E4M3FNUZ",
  19: "FLOAT8E5M2",
  20: "FLOAT8E5M2FNUZ",
  21: "UINT4",
  22: "INT4",
  23: "FLOAT4E2M1",
  24: "FLOAT8E8M0",
  25: "UINT2",
  26: "INT2",
};

/** The {@link DataType} of an ONNX element-type number, or undefined when tokenscope does not hold it. */
export function dataTypeFromOnnxOrUndefined(code: number): DataType | undefined {
  return DATA_TYPE_BY_NUMBER.get(code);
}

/** The {@link DataType} of an ONNX element-type number; throws DTYPE_MISMATCH for types we do not hold. */
export function dataTypeFromOnnx(code: number, where = "a tensor"): DataType {
  const dataType = DATA_TYPE_BY_NUMBER.get(code);
  if (dataType !== undefined) return dataType;
  const name = UNSUPPORTED_NAMES[code] ?? "unknown";
  throw new TensorBackendError(
    "DTYPE_MISMATCH",
    `ONNX element type ${name} (${code}) of ${where} is not supported by tensor-backends`,
    {
      hint: "Convert the model to a float32/float16/int64 variant, or cast that value in the exporter.",
      details: { onnxDataType: code },
    },
  );
}

/** Bytes per element in ONNX raw_data (bool is one byte; string has no fixed width, reported as 0). */
export function bytesPerElement(dataType: DataType): number {
  switch (dataType) {
    case "float64":
    case "int64":
    case "uint64":
      return 8;
    case "float32":
    case "int32":
    case "uint32":
      return 4;
    case "float16":
    case "bfloat16":
    case "int16":
    case "uint16":
      return 2;
    case "int8":
    case "uint8":
    case "bool":
      return 1;
    case "string":
      return 0;
  }
}

/** Typed-array constructor holding a numeric {@link DataType}. */
export type NumericArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** The typed-array constructor used for a numeric {@link DataType} (bool → Uint8Array, float16 bits → Uint16Array). */
export function arrayConstructorFor(dataType: Exclude<DataType, "string">): NumericArrayConstructor {
  switch (dataType) {
    case "float32":
      return Float32Array;
    case "float64":
      return Float64Array;
    case "float16":
    case "bfloat16":
    case "uint16":
      return Uint16Array;
    case "int8":
      return Int8Array;
    case "uint8":
    case "bool":
      return Uint8Array;
    case "int16":
      return Int16Array;
    case "int32":
      return Int32Array;
    case "uint32":
      return Uint32Array;
    case "int64":
      return BigInt64Array;
    case "uint64":
      return BigUint64Array;
  }
}

/** An empty-or-zeroed element array of `length` elements for `dataType`. */
export function allocateElements(dataType: DataType, length: number): TensorElements {
  if (dataType === "string") return new Array<string>(length).fill("");
  return new (arrayConstructorFor(dataType))(length);
}

/**
 * View (or, when misaligned, copy) little-endian bytes as the element array of `dataType`.
 * Aligned input is not copied, so the result shares memory with `bytes`: fast for large weights.
 */
export function elementsFromBytes(dataType: Exclude<DataType, "string">, bytes: Uint8Array): TensorElements {
  const Ctor = arrayConstructorFor(dataType);
  const width = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % width !== 0) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `${bytes.byteLength} raw bytes are not a whole number of ${dataType} elements (${width} bytes each)`,
      { hint: "The model file is probably truncated or corrupt; re-export it." },
    );
  }
  // `new Uint8Array(bytes)` copies even for a Node Buffer, whose slice() would return a view.
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  return new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / width);
}

/** The bytes of a numeric element array, without copying. */
export function bytesOfElements(elements: Exclude<TensorElements, string[]>): Uint8Array {
  return new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength);
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}
