import { extname } from "node:path";
import { isTokenscopeError, TokenscopeError } from "../errors/index.ts";
import { gitLfsPointerSize, isGitLfsPointer } from "../files/lfs-pointer.ts";
import { readFileBounded } from "../files/read-file.node.ts";
import { writeFilesAtomically } from "../files/write-file.node.ts";
import type { AttributionResult } from "../result/types.ts";
import { isGzip } from "./gzip.ts";
import type { Precision } from "./precision.ts";
import { RESULT_GZIP_RATIO_GUARD } from "./result-bounds.ts";
import { parseResult, serializeResult } from "./serialize.ts";
import { splitResult } from "./split.ts";

/*
 * Saving and loading results as files. Node only (node:fs), so it is reachable
 * from the ./node entry alone, never from the browser entry.
 */

/** Options of {@link saveResult}. */
export interface SaveOptions {
  /** Gzip the file; by default, true exactly when the path ends in `.gz`. */
  gzip?: boolean;
  /** Precision of scores and raw tensors (default "float32"). */
  precision?: Precision;
  /** Spaces of indentation (default 0). */
  indent?: number;
  /** Write one file per sequence: `out.json` becomes `out-0.json`, `out-1.json`, ... */
  perSequence?: boolean;
  /** Stops before the next file (and removes a partial temporary file) when it aborts. */
  signal?: AbortSignal;
}

/**
 * Saves `result` to `path` (folders created as needed) and returns the paths
 * written. Each file is written to a temporary file beside it and renamed into
 * place, so a failure never leaves a partial file; with `perSequence`, every
 * file is serialized (and validated) and every path checked before the first is
 * written, and the files are renamed into place only once all are written.
 * @throws TokenscopeError INVALID_INPUT when the result cannot be saved; IO_ERROR
 *   naming the path that is refused or cannot be written.
 */
export async function saveResult(
  result: AttributionResult,
  path: string,
  options: SaveOptions = {},
): Promise<string[]> {
  const gzip = options.gzip ?? path.endsWith(".gz");
  const serializeOptions = {
    gzip,
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.indent !== undefined ? { indent: options.indent } : {}),
  };
  const files = options.perSequence
    ? splitResult(result).map((part, index) => ({
        path: perSequencePath(path, index),
        bytes: serializeResult(part, serializeOptions),
      }))
    : [{ path, bytes: serializeResult(result, serializeOptions) }];
  // As a set: every path is checked before the first is written, and none is renamed into place
  // before all are written, so a refused or failing path leaves no partial set behind.
  await writeFilesAtomically(
    files.map((file) => ({ path: file.path, content: file.bytes })),
    options.signal ? { signal: options.signal } : {},
  );
  return files.map((file) => file.path);
}

/**
 * The path of sequence `index` when saving one file per sequence: the index goes
 * before the extension (`out.json` → `out-0.json`, `out.json.gz` → `out-0.json.gz`).
 */
export function perSequencePath(path: string, index: number): string {
  const gz = path.endsWith(".gz") ? ".gz" : "";
  const withoutGz = path.slice(0, path.length - gz.length);
  const extension = extname(withoutGz);
  return `${withoutGz.slice(0, withoutGz.length - extension.length)}-${index}${extension}${gz}`;
}

/** Options of {@link loadResult}. */
export interface LoadResultOptions {
  /**
   * The largest result accepted, in bytes of JSON text and of file. Default: files up to
   * `limits.resultFileBytes` whose text is up to `limits.resultTextBytes`, and gzip files that
   * expand past 32 MiB and more than 50 times their size are refused as decompression bombs;
   * given, it replaces both bounds and lifts the ratio guard (the caller vouches for the file).
   */
  maxBytes?: number;
  /** Stops reading (an `ABORTED` error). */
  signal?: AbortSignal;
}

/**
 * Reads and validates a saved result (JSON or gzipped JSON), within bounds (see
 * {@link LoadResultOptions.maxBytes}): gzip is decompressed while streaming and stopped at the
 * bound, so a decompression bomb costs at most the bound in time and memory.
 * @throws TokenscopeError IO_ERROR naming the path when the file is missing, unreadable, not a
 *   regular file (a device, FIFO or folder) or a Git LFS pointer; INVALID_INPUT when it is larger than the bound
 *   (saying how to raise it); INVALID_RESULT (naming the path) when it is damaged, not a valid
 *   result, or nests deeper than `limits.jsonDepth` allows (counted before parsing).
 */
export async function loadResult(path: string, options: LoadResultOptions = {}): Promise<AttributionResult> {
  const { maxBytes } = options;
  let bytes: Uint8Array;
  try {
    bytes = await readFileBounded(path, {
      what: "result file",
      fileBytes: { limit: "resultFileBytes", ...(maxBytes !== undefined ? { maxBytes } : {}) },
      gunzip:
        maxBytes !== undefined
          ? { limit: "resultTextBytes", maxBytes }
          : { limit: "resultTextBytes", ratioGuard: RESULT_GZIP_RATIO_GUARD },
      raiseHint:
        "If the file is genuine, raise the bound: loadResult(path, { maxBytes }) or `tokenscope view --max-size <bytes>`.",
      missingHint: "Check the path (and the -0, -1, ... suffix of per-sequence files).",
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (isTokenscopeError(error) && error.details["gzip"] === "damaged")
      throw corruptResult(path, String(error.details["problem"]), error);
    throw error;
  }
  if (isGitLfsPointer(bytes)) throw gitLfsPointerError(path, bytes);
  // A file gzipped twice would be inflated again, without bounds, by parseResult.
  if (isGzip(bytes)) throw corruptResult(path, "it is gzipped twice", undefined);
  return parseResult(bytes, { source: path });
}

/** IO_ERROR: a Git LFS pointer where a result file belongs (a repository cloned without Git LFS). */
function gitLfsPointerError(path: string, bytes: Uint8Array): TokenscopeError {
  const size = gitLfsPointerSize(bytes);
  const real = size !== undefined ? ` (the real file has ${size.toLocaleString("en-US")} bytes)` : "";
  return new TokenscopeError(
    "IO_ERROR",
    `${path} is a Git LFS pointer, not the result file: run git lfs pull${real}.`,
    {
      hint: "The repository holding it was cloned without Git LFS: install it (git lfs install) and run git lfs pull in the clone.",
      details: { path, gitLfsPointer: true, ...(size !== undefined ? { size } : {}) },
    },
  );
}

function corruptResult(path: string, problem: string, cause: unknown): TokenscopeError {
  return new TokenscopeError(
    "INVALID_RESULT",
    `${path} is not a tokenscope result, or is corrupt: ${problem}.`,
    {
      hint: "Pass a file written by saveResult or `tokenscope attribute --out`; if it was, it was damaged (re-run the attribution).",
      details: { source: path, issues: [problem] },
      cause,
    },
  );
}

/** Loads several saved results (in parallel), returned in the order of `paths`; rejects with the first failure. */
export async function loadResults(
  paths: readonly string[],
  options: LoadResultOptions = {},
): Promise<AttributionResult[]> {
  return Promise.all(paths.map((path) => loadResult(path, options)));
}
