import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { TokenscopeError } from "../errors/index.ts";
import type { AttributionResult } from "../result/types.ts";
import type { Precision } from "./precision.ts";
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
}

/**
 * Saves `result` to `path` (folders created as needed) and returns the paths
 * written. Each file is written to a temporary file beside it and renamed into
 * place, so a failure never leaves a partial file; with `perSequence`, every
 * file is serialized (and validated) before the first is written.
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
  for (const file of files) await writeFileAtomically(file.path, file.bytes);
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

/**
 * Writes `bytes` to `path` through a temporary file beside it renamed into place (folders created as
 * needed), so a failure never leaves a partial file: the one way tokenscope writes files.
 * @throws TokenscopeError IO_ERROR naming the path.
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(temporary, "wx");
    try {
      await handle.writeFile(bytes);
      // Flush before the rename so a crash cannot leave an empty file under the final name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new TokenscopeError("IO_ERROR", `Could not write ${path}: ${(error as Error).message}.`, {
      hint: "Check that the folder is writable and the path is not a folder.",
      details: { path },
      cause: error,
    });
  }
}

/**
 * Reads and validates a saved result (JSON or gzipped JSON). Throws `IO_ERROR`
 * naming the path when the file cannot be read, and the errors of `parseResult`
 * (naming the path too) when it is not a valid result.
 */
export async function loadResult(path: string): Promise<AttributionResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new TokenscopeError(
      "IO_ERROR",
      missing
        ? `No result file at ${path}.`
        : `Could not read the result file ${path}: ${(error as Error).message}.`,
      {
        hint: missing
          ? "Check the path (and the -0, -1, ... suffix of per-sequence files)."
          : "Check the file's permissions.",
        details: { path },
        cause: error,
      },
    );
  }
  return parseResult(bytes, { source: path });
}

/** Loads several saved results (in parallel), returned in the order of `paths`; rejects with the first failure. */
export async function loadResults(paths: readonly string[]): Promise<AttributionResult[]> {
  return Promise.all(paths.map((path) => loadResult(path)));
}
