import { TokenscopeError } from "@tokenscope/core";

/**
 * The GGUF container as llama.cpp's gguf.cpp defines it (ggml/docs/gguf.md), little-endian:
 * magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata (key string, u32
 * value type, value), the tensor infos (name string, u32 dim count, u64 dims innermost first, u32
 * GGML type, u64 offset into the data), padding to the alignment, then the tensor data. Strings are
 * a u64 byte length then UTF-8 bytes; arrays a u32 element type, a u64 length, then the elements.
 */

/** "GGUF" in ASCII: the first four bytes of every GGUF file. */
export const GGUF_MAGIC: readonly number[] = [0x47, 0x47, 0x55, 0x46];

/** The versions tokenscope reads: 2 and 3 share one layout (3 added big-endian files, which tokenscope refuses). */
export const ggufReadableVersions: readonly number[] = [2, 3];

/** The version tokenscope writes. */
export const GGUF_WRITE_VERSION = 3;

/** Alignment of the tensor data when `general.alignment` is absent (ggml's GGUF_DEFAULT_ALIGNMENT). */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** llama.cpp refuses tensors of more dims (GGML_MAX_DIMS). */
export const GGML_MAX_DIMS = 4;

/** Metadata value type ids (`enum gguf_type`). */
export const ggufValueTypes = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** A metadata value type id. */
export type GgufValueType = (typeof ggufValueTypes)[keyof typeof ggufValueTypes];

/**
 * A metadata value as tokenscope holds it: 64-bit integers as bigints, other numbers as numbers,
 * BOOL as a boolean, STRING as a string, ARRAY as an array of its elements.
 */
export type GgufMetadataValue = number | bigint | boolean | string | GgufMetadataValue[];

/** Bytes of each fixed-size value type. */
export const ggufScalarBytes: Readonly<Partial<Record<GgufValueType, number>>> = {
  [ggufValueTypes.UINT8]: 1,
  [ggufValueTypes.INT8]: 1,
  [ggufValueTypes.UINT16]: 2,
  [ggufValueTypes.INT16]: 2,
  [ggufValueTypes.UINT32]: 4,
  [ggufValueTypes.INT32]: 4,
  [ggufValueTypes.FLOAT32]: 4,
  [ggufValueTypes.BOOL]: 1,
  [ggufValueTypes.UINT64]: 8,
  [ggufValueTypes.INT64]: 8,
  [ggufValueTypes.FLOAT64]: 8,
};

/** Whether `id` is a metadata value type. */
export function isGgufValueType(id: number): id is GgufValueType {
  return Number.isInteger(id) && id >= 0 && id <= ggufValueTypes.FLOAT64;
}

/**
 * The fewest bytes one value of `type` takes: a string is at least its u64 length, an array its
 * u32 element type and u64 length. Multiplied by a declared count, it bounds what the rest of the
 * file can hold, so that an absurd count fails before anything is allocated.
 */
export function minValueBytes(type: GgufValueType): number {
  if (type === ggufValueTypes.STRING) return 8;
  if (type === ggufValueTypes.ARRAY) return 12;
  return ggufScalarBytes[type]!;
}

/** Whether `value` is a power of two (alignments must be). */
export function isPowerOfTwo(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isSafeInteger(value) &&
    value > 0 &&
    Number.isInteger(Math.log2(value))
  );
}

/** `length` rounded up to a multiple of `alignment`. */
export function padTo(length: number, alignment: number): number {
  return Math.ceil(length / alignment) * alignment;
}

/** The error for bytes that do not hold a GGUF file, with what is wrong and where. */
export function malformedGguf(source: string, what: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: not a readable GGUF file (${what}).`, {
    hint: "The file is damaged or is not GGUF; download it again.",
    details: { source },
  });
}
