import { constants as bufferConstants } from "node:buffer";
import { constants, type Stats } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { TokenscopeError } from "../errors/index.ts";
import { type LimitName, limits } from "../limits/index.ts";
import { describeKind, ioError } from "./paths.node.ts";

/*
 * The one way tokenscope reads a file it did not write: regular files only (a device, FIFO or
 * folder could block or never end), sizes bounded before and while reading (a file can grow), and
 * gzip decompressed while streaming with a cap on its output, so a decompression bomb costs at
 * most the cap in time and memory.
 */

/** A bound on a size: the table entry it defaults to and, optionally, a caller's override. */
export interface SizeBound {
  /** The {@link limits} entry giving the default and the reason quoted in the error. */
  limit: LimitName;
  /** Overrides the entry's `max` (raised or lowered by the caller). */
  maxBytes?: number;
}

/**
 * Refuses gzip input that expands more than `maxRatio` times its compressed size once its output
 * passes `floorBytes`: real results compress 3–10 times, decompression bombs 1000 times, and the
 * floor keeps small, very repetitive files readable.
 */
export interface CompressionRatioGuard {
  floorBytes: number;
  maxRatio: number;
}

/** Options of {@link readFileBounded}. */
export interface BoundedReadOptions {
  /** What the file is, in messages: "result file", "prompt file", "config.json". */
  what: string;
  /**
   * The largest file accepted (for gzip input: its compressed size). Without it, any regular file
   * that fits in one Node.js buffer (weights, whose size their format states).
   */
  fileBytes?: SizeBound;
  /**
   * Decompress input that starts with the gzip magic number, refusing output past this bound (and
   * past `ratioGuard`); without it, bytes are returned as they are on disk.
   */
  gunzip?: SizeBound & { ratioGuard?: CompressionRatioGuard };
  /** Says how to raise the bound, appended to the error of a file that is too large. */
  raiseHint?: string;
  /** Hint for a file that does not exist; default "Check the path." */
  missingHint?: string;
  /** Stops the read (an `ABORTED` error) when it fires. */
  signal?: AbortSignal;
}

/** A bound resolved to numbers, with the table entry it came from (if any) for the error's details. */
interface ResolvedBound {
  max: number;
  reason: string;
  limit?: LimitName;
}

function boundOf(bound: SizeBound | undefined): ResolvedBound {
  if (!bound) return { max: bufferConstants.MAX_LENGTH, reason: "the largest buffer Node.js allocates" };
  return {
    max: bound.maxBytes ?? limits[bound.limit].max,
    reason: limits[bound.limit].reason,
    limit: bound.limit,
  };
}

function bytesText(value: number): string {
  return `${value.toLocaleString("en-US")} bytes`;
}

function readFailed(path: string, options: BoundedReadOptions, error: unknown): TokenscopeError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT")
    return ioError(path, `No ${options.what} at ${path}.`, options.missingHint ?? "Check the path.", error);
  if (code === "EISDIR") return notRegular(path, options, "a folder");
  return ioError(
    path,
    `Could not read the ${options.what} ${path}: ${(error as Error).message}.`,
    "Check the file's permissions.",
    error,
  );
}

function notRegular(path: string, options: BoundedReadOptions, kind: string): TokenscopeError {
  return new TokenscopeError(
    "IO_ERROR",
    `${path} is ${kind}, not a regular file: tokenscope reads ${options.what}s from regular files only.`,
    {
      hint: "Pass the path of a regular file (a device or pipe could block or never end).",
      details: { path, kind },
    },
  );
}

/** The error of a size above its bound: INVALID_INPUT, as {@link checkLimit} says for any size. */
function tooLarge(
  path: string,
  options: BoundedReadOptions,
  what: string,
  value: string,
  bound: ResolvedBound,
): TokenscopeError {
  return new TokenscopeError(
    "INVALID_INPUT",
    `${path}: ${what} ${value}, above the limit of ${bytesText(bound.max)} for a ${options.what} (${bound.reason}).`,
    {
      hint: options.raiseHint ?? "The limits are listed in the README under Limits.",
      details: { path, ...(bound.limit ? { limit: bound.limit } : {}), max: bound.max },
    },
  );
}

function aborted(signal: AbortSignal): TokenscopeError {
  return new TokenscopeError("ABORTED", "The run was cancelled.", {
    cause: signal.reason,
    details: { reason: String(signal.reason) },
  });
}

/** zlib's complaint as the result loaders have always worded it. */
function gzipProblem(error: unknown): string {
  const message = (error as Error).message;
  return message === "unexpected end of file"
    ? "the gzip data is truncated"
    : `the gzip data is truncated or damaged (${message})`;
}

/**
 * Reads a file that tokenscope did not write, whole, within bounds: refuses what is not a regular
 * file (devices, FIFOs, folders: checked without opening it, then again on the open handle, which
 * is opened non-blocking so a FIFO swapped in cannot hang), a file larger than `fileBytes` (before
 * reading, and again while reading, since a file can grow), and — with `gunzip` — gzip output past
 * its bound or past the compression-ratio guard, decompressed while streaming so a bomb is stopped
 * after at most that many bytes.
 * @throws TokenscopeError IO_ERROR (missing, unreadable, not a regular file), INVALID_INPUT (too
 *   large: `details.limit` names the bound; damaged gzip: `details.gzip` is "damaged" and
 *   `details.problem` says what), ABORTED.
 */
export async function readFileBounded(path: string, options: BoundedReadOptions): Promise<Uint8Array> {
  const fileBound = boundOf(options.fileBytes);
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw readFailed(path, options, error);
  }
  if (!stats.isFile()) throw notRegular(path, options, describeKind(stats));
  if (stats.size > fileBound.max) {
    throw tooLarge(path, options, "the file is", bytesText(stats.size), fileBound);
  }
  let handle: FileHandle;
  try {
    // O_NONBLOCK: should a FIFO replace the file after the check, opening it must not wait for a writer.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw readFailed(path, options, error);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegular(path, options, describeKind(opened));
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    const gzipped = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    if (options.gunzip && gzipped) return await readGunzipped(path, handle, opened.size, options);
    return await readPlain(path, handle, opened.size, options);
  } catch (error) {
    if (error instanceof TokenscopeError) throw error;
    if (options.signal?.aborted) throw aborted(options.signal);
    throw readFailed(path, options, error);
  } finally {
    await handle.close();
  }
}

const CHUNK_BYTES = 1 << 20;

/** The file's bytes in one buffer sized from its length, grown only if the file grows meanwhile. */
async function readPlain(
  path: string,
  handle: FileHandle,
  size: number,
  options: BoundedReadOptions,
): Promise<Uint8Array> {
  const bound = boundOf(options.fileBytes);
  // Unpooled, so that the bytes start at offset 0 and typed-array views of them stay aligned.
  let buffer = Buffer.allocUnsafeSlow(Math.min(size, bound.max));
  let length = 0;
  for (;;) {
    if (options.signal?.aborted) throw aborted(options.signal);
    if (length === buffer.length) {
      // Full: the file is as long as it said, or it grew (or, like /proc files, had no size). One byte tells.
      const probe = Buffer.allocUnsafe(1);
      if ((await handle.read(probe, 0, 1, length)).bytesRead === 0) break;
      if (length >= bound.max) {
        throw tooLarge(path, options, "the file grew while being read to over", bytesText(bound.max), bound);
      }
      const grown = Buffer.allocUnsafeSlow(Math.min(bound.max, Math.max(2 * length, CHUNK_BYTES)));
      buffer.copy(grown, 0, 0, length);
      grown[length++] = probe[0]!;
      buffer = grown;
      continue;
    }
    const chunk = Math.min(CHUNK_BYTES, buffer.length - length);
    const { bytesRead } = await handle.read(buffer, length, chunk, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/**
 * The decompressed bytes of a gzip file, inflated while streaming: the compressed bytes are
 * counted against `fileBytes` and the output against `gunzip` and the ratio guard as they come,
 * so a bomb stops after at most the output cap.
 */
async function readGunzipped(
  path: string,
  handle: FileHandle,
  size: number,
  options: BoundedReadOptions,
): Promise<Uint8Array> {
  const gunzip = options.gunzip!;
  const fileBound = boundOf(options.fileBytes);
  const outputBound = boundOf(gunzip);
  let compressed = 0;
  let output = 0;
  const chunks: Buffer[] = [];
  const capOf = () => {
    const guard = gunzip.ratioGuard;
    if (!guard) return outputBound.max;
    return Math.min(outputBound.max, Math.max(guard.floorBytes, guard.maxRatio * Math.max(size, compressed)));
  };
  const source = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES, autoClose: false });
  async function* countCompressed(input: AsyncIterable<Buffer>) {
    for await (const chunk of input) {
      compressed += chunk.length;
      if (compressed > fileBound.max) {
        throw tooLarge(
          path,
          options,
          "the file grew while being read to over",
          bytesText(fileBound.max),
          fileBound,
        );
      }
      yield chunk;
    }
  }
  async function collect(input: AsyncIterable<Buffer>) {
    for await (const chunk of input) {
      output += chunk.length;
      const cap = capOf();
      if (output > cap) throw bombError(path, options, cap, Math.max(size, compressed), outputBound);
      chunks.push(chunk);
    }
  }
  try {
    await pipeline(
      source,
      countCompressed,
      createGunzip({ chunkSize: 64 * 1024 }),
      collect,
      ...(options.signal ? [{ signal: options.signal }] : []),
    );
  } catch (error) {
    if (error instanceof TokenscopeError) throw error;
    if (options.signal?.aborted) throw aborted(options.signal);
    if ((error as NodeJS.ErrnoException).code?.startsWith("Z_")) {
      const problem = gzipProblem(error);
      throw new TokenscopeError("INVALID_INPUT", `${path}: ${problem}.`, {
        hint: "The file is damaged; write it again.",
        details: { path, gzip: "damaged", problem },
        cause: error,
      });
    }
    throw error;
  }
  return Buffer.concat(chunks, output);
}

function bombError(
  path: string,
  options: BoundedReadOptions,
  cap: number,
  compressed: number,
  outputBound: ResolvedBound,
): TokenscopeError {
  const gunzip = options.gunzip!;
  const guard = gunzip.ratioGuard;
  const byRatio = guard !== undefined && cap < outputBound.max;
  const why = byRatio
    ? `it expands past ${bytesText(cap)}, more than ${guard.maxRatio} times its ${bytesText(compressed)} (saved results expand 1.4–3.7 times; this looks like a decompression bomb)`
    : `it expands past the limit of ${bytesText(cap)} for a ${options.what} (${outputBound.reason})`;
  return new TokenscopeError("INVALID_INPUT", `${path}: refused to decompress, ${why}.`, {
    hint: options.raiseHint ?? "The limits are listed in the README under Limits.",
    details: { path, limit: gunzip.limit, max: cap, compressedBytes: compressed },
  });
}
