import { jsonNestingDepth, limits, quoteForMessage, TokenscopeError } from "@tokenscope/core";
import type { StoredHalf } from "../../weights/lazy-tensor.ts";
import { copyUint16LE, viewOf } from "../binary.ts";
import {
  bytesToFloat32,
  isSafetensorsDtype,
  type SafetensorsDtype,
  safetensorsDtypeBytes,
} from "./dtypes.ts";

/**
 * One tensor of a safetensors file: its raw little-endian bytes, a view into the file's bytes, or
 * read from the file on each access when the file was opened for random access (Node folders), so
 * a checkpoint is never held whole while its tensors are converted one by one.
 */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  dims: number[];
  readonly bytes: Uint8Array;
}

/** A file read in pieces: its size and a synchronous read of a byte range. */
export interface RandomAccessBytes {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/** Bytes in memory as {@link RandomAccessBytes} (views, no copies). */
export function bytesInMemory(bytes: Uint8Array): RandomAccessBytes {
  return { size: bytes.byteLength, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A parsed safetensors file (or several shards merged): `__metadata__` and tensors in file order. */
export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensor>;
}

/** Options of {@link readSafetensors}. */
export interface SafetensorsReadOptions {
  /** Name of the file, used in error messages. */
  source?: string;
}

/** Headers beyond this are refused (the Rust reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses a safetensors file: a u64 little-endian header length, a JSON header mapping each tensor
 * name to its dtype, shape and [begin, end) offsets into the data that follows, then the data.
 * Tensors stay raw bytes (views, no copy) until converted with {@link safetensorToFloat32}. A
 * malformed header, unknown dtype, wrong size or overlapping tensors fail with `MODEL_LOAD_FAILED`.
 */
export function readSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsFile {
  return readSafetensorsAt(bytesInMemory(bytes), options);
}

/**
 * {@link readSafetensors} over a file read in pieces: the header is read and checked at once, each
 * tensor's bytes when its `bytes` is read.
 */
export function readSafetensorsAt(
  file: RandomAccessBytes,
  options: SafetensorsReadOptions = {},
): SafetensorsFile {
  const source = options.source ?? "safetensors file";
  const size = file.size;
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "The file is damaged or is not a safetensors file; download or write it again.",
      details: { source },
    });
  };
  if (size < 8) fail(`the file has ${size} bytes, too few for the 8-byte header length`);
  const headerLength = viewOf(file.read(0, 8)).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
    fail(`the header length ${headerLength} does not fit in the ${size}-byte file`);
  }
  const dataStart = 8 + Number(headerLength);
  const headerBytes = file.read(8, dataStart - 8);
  // A header nests three levels; a hostile one nesting a million would overflow the stack in
  // JSON.parse or in what walks the parsed value, so the depth is counted first.
  const maxDepth = limits.jsonDepth.max;
  if (jsonNestingDepth(headerBytes, maxDepth) > maxDepth) {
    fail(
      `the header nests arrays or objects more than ${maxDepth.toLocaleString("en-US")} levels deep (tokenscope's limit jsonDepth; a safetensors header nests 3)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (error) {
    fail(`the header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    fail("the header is not a JSON object");
  const dataBytes = size - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null) fail("__metadata__ is not an object");
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        metadata[key] = typeof value === "string" ? value : JSON.stringify(value);
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const tensor = `tensor ${quoteForMessage(name)}`;
    if (!isSafetensorsDtype(dtype)) fail(`${tensor} has unsupported dtype ${quoteForMessage(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${tensor} has an invalid shape ${quoteForMessage(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
      fail(`${tensor} has invalid data_offsets ${quoteForMessage(offsets)}`);
    }
    const dims = shape as number[];
    const [begin, end] = offsets as [number, number];
    const expected = dims.reduce((a, b) => a * b, 1) * safetensorsDtypeBytes[dtype as SafetensorsDtype];
    if (begin < 0 || end < begin || end > dataBytes) {
      fail(`${tensor} spans bytes [${begin}, ${end}) beyond the ${dataBytes} data bytes`);
    }
    if (end - begin !== expected) {
      fail(`${tensor} (${dtype} [${dims}]) needs ${expected} bytes but has ${end - begin}`);
    }
    ranges.push({ name, begin, end });
    tensors.set(name, {
      dtype: dtype as SafetensorsDtype,
      dims,
      get bytes() {
        return file.read(dataStart + begin, end - begin);
      },
    });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current.begin < previous.end)
      fail(`tensors ${quoteForMessage(previous.name)} and ${quoteForMessage(current.name)} overlap`);
  }
  return { metadata, tensors };
}

/** The 16-bit storage of an F16 or BF16 tensor (its bit patterns, copied aligned); undefined for others. */
export function safetensorHalf(tensor: SafetensorsTensor): StoredHalf | undefined {
  const dataType = tensor.dtype === "F16" ? "float16" : tensor.dtype === "BF16" ? "bfloat16" : undefined;
  if (dataType === undefined) return undefined;
  return {
    dataType,
    bits: () => {
      // `bytes` may read the file on each access: read it once.
      const bytes = tensor.bytes;
      return copyUint16LE(bytes, 0, bytes.byteLength / 2);
    },
  };
}

/** A tensor's values as fp32 (see `bytesToFloat32` for which conversions are exact). */
export function safetensorToFloat32(tensor: SafetensorsTensor): Float32Array {
  return bytesToFloat32(tensor.bytes, tensor.dtype);
}
