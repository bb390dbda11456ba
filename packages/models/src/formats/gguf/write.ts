import { TokenscopeError } from "@tokenscope/core";
import { concatBytes } from "../binary.ts";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_WRITE_VERSION,
  type GgufMetadataValue,
  type GgufValueType,
  ggufScalarBytes,
  ggufValueTypes,
  isPowerOfTwo,
  padTo,
} from "./format.ts";
import {
  type GgmlReadableType,
  type GgmlWritableType,
  ggmlBlockValues,
  ggmlByteLength,
  ggmlTypeId,
  quantize,
} from "./quantization.ts";

/** One metadata value with its GGUF type (and element type for arrays). */
export interface GgufMetadataEntry {
  type: GgufValueType;
  value: GgufMetadataValue;
  subType?: GgufValueType;
}

/** Builders for the metadata value types a model file needs. */
export const ggufValue = {
  string: (value: string): GgufMetadataEntry => ({ type: ggufValueTypes.STRING, value }),
  uint32: (value: number): GgufMetadataEntry => ({ type: ggufValueTypes.UINT32, value }),
  int32: (value: number): GgufMetadataEntry => ({ type: ggufValueTypes.INT32, value }),
  float32: (value: number): GgufMetadataEntry => ({ type: ggufValueTypes.FLOAT32, value }),
  bool: (value: boolean): GgufMetadataEntry => ({ type: ggufValueTypes.BOOL, value }),
  strings: (value: string[]): GgufMetadataEntry => ({
    type: ggufValueTypes.ARRAY,
    subType: ggufValueTypes.STRING,
    value,
  }),
  float32s: (value: ArrayLike<number>): GgufMetadataEntry => ({
    type: ggufValueTypes.ARRAY,
    subType: ggufValueTypes.FLOAT32,
    value: Array.from(value),
  }),
  int32s: (value: ArrayLike<number>): GgufMetadataEntry => ({
    type: ggufValueTypes.ARRAY,
    subType: ggufValueTypes.INT32,
    value: Array.from(value),
  }),
};

const typeNames = new Map<number, string>(Object.entries(ggufValueTypes).map(([name, id]) => [id, name]));

/** Integer ranges of the integer types below 64 bits. */
const integerRanges: Partial<Record<GgufValueType, readonly [number, number]>> = {
  [ggufValueTypes.UINT8]: [0, 0xff],
  [ggufValueTypes.INT8]: [-0x80, 0x7f],
  [ggufValueTypes.UINT16]: [0, 0xffff],
  [ggufValueTypes.INT16]: [-0x8000, 0x7fff],
  [ggufValueTypes.UINT32]: [0, 0xffffffff],
  [ggufValueTypes.INT32]: [-0x80000000, 0x7fffffff],
};

function badValue(key: string, value: unknown, type: GgufValueType): TokenscopeError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new TokenscopeError(
    "INVALID_INPUT",
    `GGUF metadata "${key}": ${shown.slice(0, 80)} is not a ${typeNames.get(type) ?? `type ${type}`} value.`,
    { hint: "Build entries with ggufValue (ggufValue.uint32, ggufValue.strings, ...).", details: { key } },
  );
}

const encoder = new TextEncoder();

/** A u64 little-endian. */
function u64(value: number | bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/** A GGUF string: u64 byte length, then UTF-8. */
function ggufString(text: string): Uint8Array[] {
  const utf8 = encoder.encode(text);
  return [u64(utf8.byteLength), utf8];
}

/** The bytes of one fixed-size value, checked against its type. */
function scalarBytes(type: GgufValueType, value: GgufMetadataValue, key: string): Uint8Array {
  const length = ggufScalarBytes[type];
  if (length === undefined) throw badValue(key, value, type);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  const range = integerRanges[type];
  if (range) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw badValue(key, value, type);
    }
  }
  switch (type) {
    case ggufValueTypes.UINT8:
      view.setUint8(0, value as number);
      break;
    case ggufValueTypes.INT8:
      view.setInt8(0, value as number);
      break;
    case ggufValueTypes.UINT16:
      view.setUint16(0, value as number, true);
      break;
    case ggufValueTypes.INT16:
      view.setInt16(0, value as number, true);
      break;
    case ggufValueTypes.UINT32:
      view.setUint32(0, value as number, true);
      break;
    case ggufValueTypes.INT32:
      view.setInt32(0, value as number, true);
      break;
    case ggufValueTypes.FLOAT32:
    case ggufValueTypes.FLOAT64:
      if (typeof value !== "number") throw badValue(key, value, type);
      if (type === ggufValueTypes.FLOAT32) view.setFloat32(0, value, true);
      else view.setFloat64(0, value, true);
      break;
    case ggufValueTypes.BOOL:
      if (typeof value !== "boolean") throw badValue(key, value, type);
      view.setUint8(0, value ? 1 : 0);
      break;
    case ggufValueTypes.UINT64:
    case ggufValueTypes.INT64: {
      const big =
        typeof value === "bigint" ? value : Number.isSafeInteger(value) ? BigInt(value as number) : undefined;
      const fits =
        big !== undefined &&
        (type === ggufValueTypes.UINT64 ? BigInt.asUintN(64, big) === big : BigInt.asIntN(64, big) === big);
      if (!fits) throw badValue(key, value, type);
      if (type === ggufValueTypes.UINT64) view.setBigUint64(0, big, true);
      else view.setBigInt64(0, big, true);
      break;
    }
  }
  return bytes;
}

/** The bytes of one value of `type` (an array's elements of `subType`), appended to `out`. */
function encodeValue(
  out: Uint8Array[],
  type: GgufValueType,
  value: GgufMetadataValue,
  key: string,
  subType?: GgufValueType,
): void {
  if (type === ggufValueTypes.STRING) {
    if (typeof value !== "string") throw badValue(key, value, type);
    out.push(...ggufString(value));
  } else if (type === ggufValueTypes.ARRAY) {
    if (!Array.isArray(value)) throw badValue(key, value, type);
    if (subType === undefined || subType === ggufValueTypes.ARRAY) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `GGUF metadata "${key}": an array needs a subType that is not itself ARRAY (nested arrays are not written).`,
        { hint: "Use ggufValue.strings, ggufValue.float32s or ggufValue.int32s.", details: { key } },
      );
    }
    out.push(u32(subType), u64(value.length));
    for (const element of value) encodeValue(out, subType, element, key);
  } else {
    out.push(scalarBytes(type, value, key));
  }
}

/** Magic, version, counts and metadata: everything before the tensor infos. */
function encodeHead(metadata: Record<string, GgufMetadataEntry>, tensorCount: number): Uint8Array {
  const entries = Object.entries(metadata);
  const out: Uint8Array[] = [
    Uint8Array.from(GGUF_MAGIC),
    u32(GGUF_WRITE_VERSION),
    u64(tensorCount),
    u64(entries.length),
  ];
  for (const [key, entry] of entries) {
    out.push(...ggufString(key), u32(entry.type));
    encodeValue(out, entry.type, entry.value, key, entry.subType);
  }
  return concatBytes(out);
}

/** A tensor to write: row-major dims (outermost first), fp32 values, and the type to store them as. */
export interface GgufWriteTensor {
  name: string;
  dims: number[];
  data: Float32Array;
  type: GgmlWritableType;
}

/**
 * A tensor whose bytes are already encoded as `type` (e.g. K-quant blocks made by another
 * quantizer): written as they are, so that files of any type tokenscope reads can be built.
 */
export interface GgufWriteEncodedTensor {
  name: string;
  /** Row-major dims, outermost first. */
  dims: number[];
  type: GgmlReadableType;
  /** Exactly the blocks of the tensor's values, row after row. */
  bytes: Uint8Array;
}

/** What {@link writeGguf} writes. */
export interface GgufWriteInput {
  metadata: Record<string, GgufMetadataEntry>;
  tensors: Array<GgufWriteTensor | GgufWriteEncodedTensor>;
}

/** `general.alignment` of the metadata to write, else 32. */
function writeAlignment(metadata: Record<string, GgufMetadataEntry>): number {
  const entry = metadata["general.alignment"];
  const alignment = entry ? Number(entry.value) : GGUF_DEFAULT_ALIGNMENT;
  if (!isPowerOfTwo(alignment)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `GGUF metadata "general.alignment" must be a power of two, not ${String(entry?.value)}.`,
      { hint: "Leave general.alignment out (32) or give a power of two." },
    );
  }
  return alignment;
}

/** Checks that `tensor` has as many values (or bytes) as its dims say and can be stored as its type. */
function checkWritable(tensor: GgufWriteTensor | GgufWriteEncodedTensor): void {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if ("data" in tensor && tensor.data.length !== count) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Tensor "${tensor.name}" has ${tensor.data.length} values for dims [${tensor.dims}].`,
      { hint: "Pass as many values as the dims call for." },
    );
  }
  const blockValues = ggmlBlockValues(tensor.type);
  if ((tensor.dims.at(-1) ?? 1) % blockValues !== 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Tensor "${tensor.name}" [${tensor.dims}] cannot be stored as ${tensor.type}: rows must be multiples of ${blockValues}.`,
      { hint: "Store this tensor as F32 or F16." },
    );
  }
  if ("bytes" in tensor && tensor.bytes.byteLength !== ggmlByteLength(tensor.type, count)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Tensor "${tensor.name}" [${tensor.dims}] has ${tensor.bytes.byteLength} bytes; ${count} values of ${tensor.type} take ${ggmlByteLength(tensor.type, count)}.`,
      { hint: "Pass exactly the encoded blocks of the tensor." },
    );
  }
}

/** A tensor info: name, dims (GGUF lists them innermost first), GGML type, offset in the data. */
function encodeTensorInfo(
  tensor: GgufWriteTensor | GgufWriteEncodedTensor,
  dataOffset: number,
): Uint8Array[] {
  const dims = [...tensor.dims].reverse().map(u64);
  return [
    ...ggufString(tensor.name),
    u32(dims.length),
    ...dims,
    u32(ggmlTypeId(tensor.type)),
    u64(dataOffset),
  ];
}

/**
 * Writes a GGUF v3 file: the header and metadata, the tensor directory, then each tensor's data
 * aligned to `general.alignment` (32 by default). fp32 tensors are stored as F32, F16, Q8_0 or
 * Q4_0 (quantized ones need an innermost dimension divisible by 32); encoded tensors
 * ({@link GgufWriteEncodedTensor}) as their bytes, of any type tokenscope reads.
 * @throws TokenscopeError INVALID_INPUT for a metadata value that does not fit its type, a bad
 *   alignment, or a tensor whose values do not match its dims or that cannot be quantized.
 */
export function writeGguf(input: GgufWriteInput): Uint8Array {
  const alignment = writeAlignment(input.metadata);
  const head = encodeHead(input.metadata, input.tensors.length);
  const directory: Uint8Array[] = [];
  const data: Uint8Array[] = [];
  let dataOffset = 0;
  for (const tensor of input.tensors) {
    checkWritable(tensor);
    directory.push(...encodeTensorInfo(tensor, dataOffset));
    const bytes = "bytes" in tensor ? tensor.bytes : quantize(tensor.type, tensor.data);
    const padded = new Uint8Array(padTo(bytes.byteLength, alignment));
    padded.set(bytes);
    data.push(padded);
    dataOffset += padded.byteLength;
  }
  const headerLength = head.byteLength + directory.reduce((sum, entry) => sum + entry.byteLength, 0);
  const padding = new Uint8Array(padTo(headerLength, alignment) - headerLength);
  return concatBytes([head, ...directory, padding, ...data]);
}
