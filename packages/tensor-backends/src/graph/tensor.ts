/**
 * Making {@link TensorConstant}s from JS values: typed arrays keep their storage, plain arrays are
 * converted to the storage of the requested {@link DataType}.
 */
import { TensorBackendError } from "../errors.ts";
import { allocateElements, elementCount } from "./dtypes.ts";
import type { DataType, TensorConstant, TensorElements } from "./types.ts";

/** Values a tensor can be made from: a typed array, or plain numbers, bigints, booleans or strings. */
export type TensorInput = TensorElements | readonly number[] | readonly bigint[] | readonly boolean[];

/**
 * The {@link DataType} a typed array holds by default. Uint16Array reads as uint16 and Uint8Array as
 * uint8: pass the type explicitly for float16/bfloat16 bits or bool.
 */
export function dataTypeOfElements(data: TensorInput): DataType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof BigUint64Array) return "uint64";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint32Array) return "uint32";
  const first = (data as readonly unknown[])[0];
  if (typeof first === "string") return "string";
  if (typeof first === "bigint") return "int64";
  if (typeof first === "boolean") return "bool";
  return "float32";
}

function convertElements(data: TensorInput, dataType: DataType): TensorElements {
  if (dataType === "string") {
    if (!Array.isArray(data) || data.some((value) => typeof value !== "string")) {
      throw new TensorBackendError("INVALID_ARGUMENT", "a string tensor needs an array of strings", {
        hint: "Pass string[] data for dataType 'string'.",
      });
    }
    return [...(data as string[])];
  }
  const elements = allocateElements(dataType, data.length);
  const wide = elements instanceof BigInt64Array || elements instanceof BigUint64Array;
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number | bigint | boolean | string;
    const numeric = typeof value === "boolean" ? Number(value) : value;
    if (typeof numeric === "string") {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `cannot store string '${numeric}' in a ${dataType} tensor`,
        {
          hint: "Use dataType 'string' for text.",
        },
      );
    }
    (elements as unknown as (number | bigint)[])[index] = wide ? BigInt(numeric) : Number(numeric);
  }
  return elements;
}

function sameStorage(data: TensorInput, dataType: DataType): boolean {
  const natural = dataTypeOfElements(data);
  if (natural === dataType) return !Array.isArray(data);
  // Bits of float16/bfloat16 live in Uint16Array; bool lives in Uint8Array.
  if (data instanceof Uint16Array) return dataType === "float16" || dataType === "bfloat16";
  if (data instanceof Uint8Array) return dataType === "bool";
  return false;
}

/**
 * Make a tensor constant. Typed arrays of the matching storage are used as they are (not copied);
 * `dims` defaults to `[data.length]`; `dataType` defaults to the array's natural type (plain numbers → float32).
 * @throws TensorBackendError SHAPE_MISMATCH when `dims` does not hold `data.length` elements.
 */
export function makeTensor(
  data: TensorInput,
  dims?: readonly number[],
  dataType?: DataType,
  name = "",
): TensorConstant {
  const type = dataType ?? dataTypeOfElements(data);
  const shape = dims === undefined ? [data.length] : [...dims];
  if (elementCount(shape) !== data.length) {
    throw new TensorBackendError(
      "SHAPE_MISMATCH",
      `tensor '${name}' has ${data.length} elements but dims [${shape.join(", ")}] need ${elementCount(shape)}`,
      { hint: "Pass dims whose product equals the number of values." },
    );
  }
  const elements = sameStorage(data, type) ? (data as TensorElements) : convertElements(data, type);
  return { name, dataType: type, dims: shape, data: elements };
}

/** A scalar tensor (dims `[]`). */
export function scalarTensor(
  value: number | bigint | boolean,
  dataType?: DataType,
  name = "",
): TensorConstant {
  return makeTensor(
    [value] as readonly number[],
    [],
    dataType ?? dataTypeOfElements([value] as number[]),
    name,
  );
}
