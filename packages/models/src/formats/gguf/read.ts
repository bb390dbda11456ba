import { gguf } from "@huggingface/gguf";
import { TokenscopeError } from "@tokenscope/core";
import { dequantize, type GgmlReadableType, ggmlByteLength, ggmlTypeName } from "./quantization.ts";

/** One tensor of a GGUF file, located but not yet read. */
export interface GgufTensorEntry {
  name: string;
  /** Row-major dims, outermost first (GGUF lists them innermost first; this is the reverse). */
  dims: number[];
  /** GGML type id (see `GGMLQuantizationType`). */
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

/**
 * Serves HTTP range requests from memory: `@huggingface/gguf` reads a file through `fetch` in
 * chunks, so handing it this function parses bytes we already hold, in Node and in browsers alike.
 */
function fetchFromBytes(bytes: Uint8Array): typeof fetch {
  return (async (_input: unknown, init?: RequestInit) => {
    const range = /bytes=(\d+)-(\d+)/.exec(new Headers(init?.headers).get("Range") ?? "");
    const start = range ? Math.min(Number(range[1]), bytes.byteLength) : 0;
    const end = range ? Math.min(Number(range[2]) + 1, bytes.byteLength) : bytes.byteLength;
    return new Response(bytes.slice(start, end), {
      status: 206,
      headers: { "Content-Range": `bytes ${start}-${Math.max(start, end - 1)}/${bytes.byteLength}` },
    });
  }) as typeof fetch;
}

/**
 * Parses the header, metadata and tensor directory of a GGUF file with `@huggingface/gguf`; tensor
 * bytes are read on demand by {@link readGgufTensor}. Malformed files and tensors that run past the
 * end of the file fail with `MODEL_LOAD_FAILED`.
 */
export async function readGguf(bytes: Uint8Array, options: GgufReadOptions = {}): Promise<GgufFile> {
  const source = options.source ?? "GGUF file";
  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    parsed = await gguf("https://gguf.invalid/model.gguf", { fetch: fetchFromBytes(bytes) });
  } catch (error) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: not a readable GGUF file (${error instanceof Error ? error.message : String(error)}).`,
      { hint: "The file is damaged or is not GGUF; download it again.", details: { source }, cause: error },
    );
  }
  if (!parsed.littleEndian) {
    throw loadError(
      source,
      "big-endian GGUF files are not supported",
      "Convert the model to a little-endian GGUF.",
    );
  }
  const dataStart = Number(parsed.tensorDataOffset);
  const tensors = new Map<string, GgufTensorEntry>();
  for (const info of parsed.tensorInfos) {
    const dims = info.shape.map(Number).reverse();
    const entry = { name: info.name, dims, typeId: info.dtype, byteOffset: dataStart + Number(info.offset) };
    const type = ggmlTypeName(info.dtype);
    if (type) {
      const count = dims.reduce((a, b) => a * b, 1);
      let end: number;
      try {
        end = entry.byteOffset + ggmlByteLength(type, count);
      } catch {
        throw loadError(
          source,
          `tensor "${info.name}" has ${count} values, not whole ${type} blocks`,
          "Re-export the file.",
        );
      }
      if (end > bytes.byteLength) {
        throw loadError(
          source,
          `tensor "${info.name}" (${type} [${dims}]) ends at byte ${end}, past the end of the ${bytes.byteLength}-byte file`,
          "The file is truncated; download it again.",
        );
      }
    }
    tensors.set(info.name, entry);
  }
  const {
    version,
    tensor_count: _count,
    kv_count: _kv,
    ...metadata
  } = parsed.metadata as Record<string, unknown>;
  return { source, version: Number(version), metadata, tensors, bytes };
}

/**
 * Reads one tensor as fp32 with row-major dims, dequantizing F16, BF16, Q8_0 and Q4_0. Other GGML
 * types fail with `MODEL_LOAD_FAILED` naming the type.
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
      `tensor "${name}" has GGML type ${entry.typeId}, which tokenscope cannot dequantize (F32, F16, BF16, Q8_0, Q4_0)`,
      "Convert the model to one of these types, e.g. with llama.cpp's llama-quantize --allow-requantize to Q8_0.",
    );
  }
  const count = entry.dims.reduce((a, b) => a * b, 1);
  const length = ggmlByteLength(type, count);
  return {
    dims: [...entry.dims],
    data: dequantize(type, file.bytes.subarray(entry.byteOffset, entry.byteOffset + length), count),
  };
}

function loadError(source: string, what: string, hint: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, { hint, details: { source } });
}
