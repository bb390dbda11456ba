import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { TokenscopeError } from "../errors/index.ts";

/*
 * Helpers shared by the file and folder writers: what is at a path, in words, and the names of
 * the temporary siblings they write beside it.
 */

/** What a path holds, as an error message names it. */
export function describeKind(stats: Stats): string {
  if (stats.isFile()) return "a regular file";
  if (stats.isDirectory()) return "a folder";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isSocket()) return "a socket";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/**
 * True for the names of the process's own streams (/dev/stdout, /dev/fd/1, /proc/self/fd/1):
 * someone who passes one wants the output printed, which the command does without `--out`.
 */
export function isStandardStreamPath(path: string): boolean {
  return /^\/dev\/(stdin|stdout|stderr|fd\/\d+)$|^\/proc\/(self|\d+)\/fd\/\d+$/.test(path);
}

// Leaves room for the prefix and suffix within the 255-byte file name limit of common file systems.
const MAX_BASE_CHARS = 120;

/**
 * A fresh hidden name beside `path` for a temporary file or folder (`role` "tmp") or a folder
 * moved aside (`role` "old"): `.name.tokenscope-<pid>-<random>.tmp`. Beside, so that the final
 * rename stays within one file system and is atomic.
 */
export function siblingPath(path: string, role: "tmp" | "old"): string {
  const base = basename(path).slice(0, MAX_BASE_CHARS);
  return join(dirname(path), `.${base}.tokenscope-${process.pid}-${randomBytes(6).toString("hex")}.${role}`);
}

/** True when the process runs as root, the one case where it may give a file back to its owner. */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The errno code of a system error (`ENOENT`, ...), or undefined. */
export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A system error's reason without the paths Node appends ("ENOSPC: no space left on device, write
 * '/x/.a.json.tokenscope-1-ab.tmp'" becomes "ENOSPC: no space left on device"): the writers name the
 * target themselves, and a temporary name in a message would send the user looking for a file that
 * is gone.
 */
export function systemReason(error: unknown): string {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) return message;
  const words = /^[A-Z][A-Z0-9_]*: ([^,]*)/.exec(message)?.[1];
  return words ? `${code}: ${words}` : code;
}

/** An IO_ERROR about `path`. */
export function ioError(path: string, message: string, hint: string, cause?: unknown): TokenscopeError {
  const code = errnoCode(cause);
  return new TokenscopeError("IO_ERROR", message, {
    hint,
    details: { path, ...(code ? { code } : {}) },
    ...(cause !== undefined ? { cause } : {}),
  });
}
