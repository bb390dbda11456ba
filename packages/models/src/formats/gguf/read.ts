import { TokenscopeError } from "@tokenscope/core";
import { lazyWeightTensor } from "../../weights/lazy-tensor.ts";
import type { WeightTensor } from "../../weights/types.ts";
import { assertNotGitLfsPointer } from "../lfs-pointer.ts";
import { GgufByteReader } from "./byte-reader.ts";
import {
  GGML_MAX_DIMS,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufMetadataValue,
  ggufReadableVersions,
  isPowerOfTwo,
  padTo,
} from "./format.ts";
import { ggmlTypeIdName } from "./ggml-types.ts";
import {
  dequantize,
  type GgmlReadableType,
  ggmlBlockValues,
  ggmlByteLength,
  ggmlReadableTypes,
  ggmlStoredForm,
  ggmlTypeName,
} from "./quantization.ts";

// Why not `@huggingface/gguf`: its ESM build statically imports a Node-only FileBlob module (fs,
// fs/promises, stream, url), and its browser build is reachable only through the legacy
// package.json "browser" field, which bundlers do not apply to a package with an "exports" map;
// so neither `esbuild --bundle --platform=browser` nor Vite could bundle @tokenscope/models. The
// container is small (format.ts), the bytes are already in memory, and the quantization code was
// ours anyway.

/** One tensor of a GGUF file, located but not yet read. */
export interface GgufTensorEntry {
  name: string;
  /** Row-major dims, outermost first (GGUF lists them innermost first; this is the reverse). */
  dims: number[];
  /** GGML type id (see `ggmlTypeIds`). */
  typeId: number;
  /** Absolute offset of the tensor's bytes in the file. */
  byteOffset: number;
}

/** A parsed GGUF file: metadata values by key and the tensor directory, over the file's bytes. */
export interface GgufFile {
  source: string;
  version: number;
  /** Metadata by key: numbers, bigints (64-bit integers), booleans, strings or arrays of them. */
  metadata: Record<string, unknown>;
  tensors: Map<string, GgufTensorEntry>;
  bytes: Uint8Array;
}

/** Options of {@link readGguf}. */
export interface GgufReadOptions {
  /** Name of the file, used in error messages. */
  source?: string;
}

/** A tensor info as stored: dims innermost first, offset relative to the start of the data. */
interface StoredTensorInfo {
  name: string;
  storedDims: number[];
  typeId: number;
  dataOffset: number;
}

/** Fewest bytes of one metadata entry: u64 key length, u32 value type, a 1-byte value. */
const MIN_METADATA_ENTRY_BYTES = 13;
/** Fewest bytes of one tensor info: u64 name length, u32 dim count, u32 type, u64 offset. */
const MIN_TENSOR_INFO_BYTES = 24;

/** Checks magic and version; returns the version and the declared counts. */
function readHeader(
  reader: GgufByteReader,
  source: string,
): { version: number; tensorCount: number; metadataCount: number } {
  const magic = reader.raw(GGUF_MAGIC.length, "the magic number");
  if (magic.some((byte, index) => byte !== GGUF_MAGIC[index])) {
    const hex = Array.from(magic, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
    throw reader.fail(`it starts with the bytes ${hex}, not "GGUF"`);
  }
  const version = reader.u32("the version");
  // A big-endian file's version reads as 0x02000000 or 0x03000000 here.
  if (version !== 0 && (version & 0xffff) === 0) {
    throw loadError(
      source,
      "big-endian GGUF files are not supported",
      "Convert the model to a little-endian GGUF.",
    );
  }
  if (!ggufReadableVersions.includes(version)) {
    throw loadError(
      source,
      `GGUF version ${version} is not supported; tokenscope reads versions ${ggufReadableVersions.join(" and ")}`,
      "Convert the model again with a recent llama.cpp (convert_hf_to_gguf.py writes version 3).",
    );
  }
  // Tensor infos follow the metadata, so the bytes left bound the tensor count too.
  const tensorCount = reader.count("the tensor count", MIN_TENSOR_INFO_BYTES);
  const metadataCount = reader.count("the metadata count", MIN_METADATA_ENTRY_BYTES);
  return { version, tensorCount, metadataCount };
}

/** Sets `key` even when it is "__proto__": metadata keys come from the file. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function readMetadata(reader: GgufByteReader, count: number): Record<string, GgufMetadataValue> {
  const metadata: Record<string, GgufMetadataValue> = {};
  for (let index = 0; index < count; index++) {
    const key = reader.string(`the key of metadata entry ${index}`);
    if (Object.hasOwn(metadata, key)) throw reader.fail(`the metadata key "${key}" appears twice`);
    const type = reader.valueType(`the value type of "${key}"`);
    setOwn(metadata, key, reader.value(type, `the value of "${key}"`));
  }
  return metadata;
}

function readTensorInfo(reader: GgufByteReader, index: number): StoredTensorInfo {
  const name = reader.string(`the name of tensor ${index}`);
  const dimCount = reader.u32(`the dim count of tensor "${name}"`);
  if (dimCount > GGML_MAX_DIMS) {
    throw reader.fail(`tensor "${name}" has ${dimCount} dims; GGML tensors have at most ${GGML_MAX_DIMS}`);
  }
  const storedDims: number[] = [];
  let count = 1;
  for (let dim = 0; dim < dimCount; dim++) {
    storedDims.push(reader.safeU64(`dim ${dim} of tensor "${name}"`));
    count *= storedDims[dim]!;
    if (!Number.isSafeInteger(count)) {
      throw reader.fail(`tensor "${name}" [${storedDims}...] has over 2^53 values`);
    }
  }
  const typeId = reader.u32(`the type of tensor "${name}"`);
  const dataOffset = reader.safeU64(`the data offset of tensor "${name}"`);
  return { name, storedDims, typeId, dataOffset };
}

/** `general.alignment`, which must be a power of two, else 32. */
function dataAlignment(metadata: Record<string, GgufMetadataValue>, reader: GgufByteReader): number {
  if (!Object.hasOwn(metadata, "general.alignment")) return GGUF_DEFAULT_ALIGNMENT;
  const value = metadata["general.alignment"];
  const alignment = typeof value === "bigint" ? Number(value) : value;
  if (!isPowerOfTwo(alignment))
    throw reader.fail(`general.alignment is ${String(value)}, not a power of two`);
  return alignment;
}

/**
 * Checks that a tensor of a type tokenscope reads is whole blocks per row and lies inside the
 * file. GGML quantizes each row on its own, so a row (the innermost dim) must be a whole number of
 * blocks (256 values for the K-quants), as llama.cpp's gguf reader requires too; a total that
 * happens to be whole blocks is not enough, since the blocks would straddle rows.
 */
function checkTensorExtent(entry: GgufTensorEntry, fileBytes: number, source: string): void {
  const type = ggmlTypeName(entry.typeId);
  if (!type) return;
  const blockValues = ggmlBlockValues(type);
  const rowValues = entry.dims.at(-1) ?? 1;
  if (rowValues % blockValues !== 0) {
    throw loadError(
      source,
      `tensor "${entry.name}" (${type} [${entry.dims}]) has rows of ${rowValues} values, not whole ${type} blocks of ${blockValues}`,
      "The file is damaged or was written by a broken converter; convert the model again with llama.cpp.",
    );
  }
  const count = entry.dims.reduce((a, b) => a * b, 1);
  const end = entry.byteOffset + ggmlByteLength(type, count);
  if (end > fileBytes) {
    throw loadError(
      source,
      `tensor "${entry.name}" (${type} [${entry.dims}]) ends at byte ${end}, past the end of the ${fileBytes}-byte file`,
      "The file is truncated; download it again.",
    );
  }
}

/**
 * Parses the header, metadata and tensor directory of a GGUF file (versions 2 and 3,
 * little-endian) held in memory, in Node and in browsers alike; tensor bytes are read on demand by
 * {@link readGgufTensor}. Every length and count is checked against the bytes left before it is
 * used, so a damaged file fails fast.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming what is wrong: a Git LFS pointer instead of the
 *   file, a truncated header, a bad magic
 *   number, an unsupported version or byte order, a string, array or count that runs past the end
 *   of the file, a duplicate key or tensor, a bad alignment, or a tensor (of a type tokenscope
 *   reads) whose rows are not whole blocks of its type or that runs past the end of the file.
 */
export async function readGguf(bytes: Uint8Array, options: GgufReadOptions = {}): Promise<GgufFile> {
  const source = options.source ?? "GGUF file";
  assertNotGitLfsPointer(bytes, source);
  const reader = new GgufByteReader(bytes, source);
  const { version, tensorCount, metadataCount } = readHeader(reader, source);
  const metadata = readMetadata(reader, metadataCount);
  const infos = Array.from({ length: tensorCount }, (_, index) => readTensorInfo(reader, index));
  const alignment = dataAlignment(metadata, reader);
  const dataStart = padTo(reader.offset, alignment);
  const tensors = new Map<string, GgufTensorEntry>();
  for (const info of infos) {
    if (tensors.has(info.name)) throw reader.fail(`the tensor name "${info.name}" appears twice`);
    if (info.dataOffset % alignment !== 0) {
      throw reader.fail(
        `the data of tensor "${info.name}" starts at offset ${info.dataOffset}, not a multiple of the alignment ${alignment}`,
      );
    }
    const entry = {
      name: info.name,
      dims: [...info.storedDims].reverse(),
      typeId: info.typeId,
      byteOffset: dataStart + info.dataOffset,
    };
    checkTensorExtent(entry, bytes.byteLength, source);
    tensors.set(info.name, entry);
  }
  return { source, version, metadata, tensors, bytes };
}

/**
 * Reads one tensor as fp32 with row-major dims, dequantizing F16, BF16, Q8_0, Q4_0 and the
 * K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K) exactly as llama.cpp does. Other GGML types fail
 * with `MODEL_LOAD_FAILED` naming the type.
 */
export function readGgufTensor(file: GgufFile, name: string): { dims: number[]; data: Float32Array } {
  const entry = file.tensors.get(name);
  if (!entry) {
    throw loadError(
      file.source,
      `there is no tensor "${name}"`,
      "Check the tensor names with `models inspect`.",
    );
  }
  const type: GgmlReadableType | undefined = ggmlTypeName(entry.typeId);
  if (!type) {
    throw loadError(
      file.source,
      `tensor "${name}" has GGML type ${entry.typeId}, which tokenscope cannot dequantize (${ggmlTypeIdName(entry.typeId) ?? "a type ggml does not define"}; tokenscope reads ${ggmlReadableTypes.join(", ")})`,
      "Convert the model to one of these types, e.g. with llama.cpp's llama-quantize --allow-requantize to Q8_0 or Q4_K_M.",
    );
  }
  // Checked again: a caller may have changed the entry since readGguf.
  checkTensorExtent(entry, file.bytes.byteLength, file.source);
  const count = entry.dims.reduce((a, b) => a * b, 1);
  const length = ggmlByteLength(type, count);
  return {
    dims: [...entry.dims],
    data: dequantize(type, file.bytes.subarray(entry.byteOffset, entry.byteOffset + length), count),
  };
}

/**
 * One tensor as {@link readGgufTensor} reads it, made on first read of `data`, and with its stored
 * form (16-bit bits, Q8_0 / Q4_0 blocks) for a weight file that keeps it so (see `ggmlStoredForm`).
 */
export function lazyGgufTensor(file: GgufFile, name: string): WeightTensor {
  const entry = file.tensors.get(name);
  const type = entry ? ggmlTypeName(entry.typeId) : undefined;
  if (!entry || !type) return readGgufTensor(file, name);
  checkTensorExtent(entry, file.bytes.byteLength, file.source);
  const count = entry.dims.reduce((a, b) => a * b, 1);
  const bytes = () => file.bytes.subarray(entry.byteOffset, entry.byteOffset + ggmlByteLength(type, count));
  return lazyWeightTensor(
    [...entry.dims],
    () => dequantize(type, bytes(), count),
    entry.dims.length === 2 ? ggmlStoredForm(type, bytes, count) : undefined,
  );
}

function loadError(source: string, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, { hint, details: { source } });
}
