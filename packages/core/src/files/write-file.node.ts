import { rmSync, type Stats, statSync } from "node:fs";
import { lstat, mkdir, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isTokenscopeError, type TokenscopeError, throwIfAborted } from "../errors/index.ts";
import { onExitCleanup } from "./exit-cleanup.node.ts";
import { checkLocation, checkPathShape } from "./file-location.node.ts";
import {
  describeKind,
  errnoCode,
  ioError,
  isStandardStreamPath,
  runsAsRoot,
  siblingPath,
  systemReason,
} from "./paths.node.ts";

/** Options of {@link writeFileAtomically}. */
export interface WriteFileOptions {
  /** Cancels the write: the temporary file is removed and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/** Where the bytes end up: the real path of the file (links resolved) and what is there now. */
interface FileTarget {
  path: string;
  existing: Stats | undefined;
}

// Big writes go out in pieces so that an abort (Ctrl-C) is seen between two of them.
const CHUNK_BYTES = 8 * 1024 * 1024;

/** One file of {@link writeFilesAtomically}. */
export interface FileToWrite {
  path: string;
  content: Uint8Array | string;
}

/**
 * Writes `content` to the file at `path`, the one way tokenscope writes a file:
 * - a path that names a folder (ending in "/", or "." and ".."), or lies on /proc, /sys or /dev (kernel
 *   interfaces and device nodes; /dev/shm is an ordinary folder) is refused with `IO_ERROR` before
 *   anything is written;
 * - regular files only: an existing folder, device node (`/dev/null`), named pipe or socket at
 *   `path` is refused with `IO_ERROR` saying what is there (renaming over it would replace it, and
 *   opening a pipe would hang), before anything is written;
 * - a symbolic link is written through: the file it points to (the chain resolved) gets the new
 *   content and the link stays a link; a dangling link is refused, as a link whose target is not
 *   a regular file is, since creating a file wherever a stray link points is rarely what was meant;
 * - the bytes go to a temporary file beside the target (`.name.tokenscope-<pid>-<id>.tmp`), are
 *   flushed to disk, and the temporary is renamed over the target: readers see the old file or the
 *   new one, never a part. A failure, an abort through `signal`, or `process.exit` while writing
 *   (the CLI's second Ctrl-C) removes the temporary file; only a kill that runs no exit handlers
 *   (SIGKILL, power loss) can leave one. Errors name the target, never the temporary file;
 * - an existing file keeps its mode (600 stays 600), and its owner and group when running as root;
 *   a new file gets the default mode (0666 less the umask) and missing folders are created. A file
 *   with several hard links becomes a new file: the other names keep the old content.
 * @throws TokenscopeError IO_ERROR naming the path (what is there and what to do, or the system's
 *   reason); ABORTED when `signal` aborts.
 */
export async function writeFileAtomically(
  path: string,
  content: Uint8Array | string,
  options: WriteFileOptions = {},
): Promise<void> {
  await writeFilesAtomically([{ path, content }], options);
}

/**
 * Writes several files as a set, each as {@link writeFileAtomically} does: every path is checked
 * before anything is written (one refused, none is written), then every file is written to its
 * temporary and flushed, and only then are they renamed into place, one after another. A failure or
 * an abort before the renames leaves every target as it was; a rename failing part way (rare: the
 * temporaries are beside their targets) says which files were already replaced.
 * @throws TokenscopeError IO_ERROR naming the path it is about; ABORTED when `signal` aborts.
 */
export async function writeFilesAtomically(
  files: readonly FileToWrite[],
  options: WriteFileOptions = {},
): Promise<void> {
  const { signal } = options;
  throwIfAborted(signal);
  const targets: FileTarget[] = [];
  for (const file of files) targets.push(await resolveFileTarget(file.path));
  const planned = files.map((file, index) => ({
    given: file.path,
    target: targets[index]!,
    temporary: siblingPath(targets[index]!.path, "tmp"),
    bytes: typeof file.content === "string" ? new TextEncoder().encode(file.content) : file.content,
  }));
  const forget = onExitCleanup(() => {
    for (const file of planned) rmSync(file.temporary, { force: true });
  });
  let renamed = 0;
  try {
    for (const file of planned) {
      try {
        await mkdir(dirname(file.target.path), { recursive: true });
        await writeTemporary(file.temporary, file.bytes, file.target.existing, signal);
      } catch (error) {
        throw asWriteError(file.given, error);
      }
    }
    for (const file of planned) {
      try {
        await rename(file.temporary, file.target.path);
      } catch (error) {
        throw asWriteError(file.given, error, renamed > 0 ? planned.slice(0, renamed) : []);
      }
      renamed++;
    }
  } catch (error) {
    for (const file of planned.slice(renamed)) await rm(file.temporary, { force: true });
    throw error;
  } finally {
    forget();
  }
  for (const folder of new Set(planned.map((file) => dirname(file.target.path)))) await syncFolder(folder);
}

/**
 * Refuses `path` exactly as {@link writeFileAtomically} would, without writing: lets a command
 * reject `--out /dev/null` before doing the work whose result it would write.
 * @throws TokenscopeError IO_ERROR saying what is at the path and what to do.
 */
export async function checkWritableFile(path: string): Promise<void> {
  await resolveFileTarget(path);
}

async function resolveFileTarget(path: string): Promise<FileTarget> {
  checkPathShape(path);
  const target = await resolveExisting(path);
  await checkLocation(path, target.path);
  return target;
}

async function resolveExisting(path: string): Promise<FileTarget> {
  let link: Stats;
  try {
    link = await lstat(path);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return { path, existing: undefined };
    if (errnoCode(error) === "ENOTDIR") {
      throw ioError(
        path,
        `Could not write ${path}: a part of ${dirname(path)} is a file, not a folder.`,
        "Pass a path whose folders are folders.",
        error,
      );
    }
    throw asWriteError(path, error);
  }
  if (!link.isSymbolicLink()) {
    if (!link.isFile()) throw refusal(path, link);
    return { path, existing: link };
  }
  const pointsTo = await readlink(path).catch(() => "?");
  let followed: Stats;
  try {
    followed = await stat(path);
  } catch (error) {
    throw ioError(
      path,
      errnoCode(error) === "ELOOP"
        ? `Could not write ${path}: it is a symbolic link that loops.`
        : `Could not write ${path}: it is a symbolic link to ${pointsTo}, which does not exist.`,
      "tokenscope writes through links but does not create their targets: create the target first, or remove the link.",
      error,
    );
  }
  if (!followed.isFile()) throw refusal(path, followed, pointsTo);
  return { path: await realpath(path), existing: followed };
}

/** The error for a path that holds something other than a regular file. */
function refusal(path: string, stats: Stats, linkTarget?: string): TokenscopeError {
  const via = linkTarget === undefined ? "" : ` (a symbolic link to ${linkTarget})`;
  const kind = describeKind(stats);
  const why = stats.isDirectory()
    ? ""
    : stats.isFIFO() || stats.isSocket()
      ? ": tokenscope writes regular files only"
      : ": tokenscope writes regular files only, and renaming over it would replace it";
  return ioError(
    path,
    `Could not write ${path}${via}: it is ${kind}${why}. Nothing was written.`,
    hintFor(path, stats),
  );
}

function hintFor(path: string, stats: Stats): string {
  const absolute = resolve(path);
  if (isStandardStreamPath(absolute))
    return "To print the output, leave out --out (and add --json where the command has it).";
  if (isNullDevice(stats)) return "To discard the output, leave out --out.";
  if (stats.isDirectory()) return "Pass a file path, for example a new file name inside that folder.";
  return "Pass the path of a regular file (new or existing).";
}

/** True for /dev/null or another node of the same device (a link to it, one made with mknod). */
function isNullDevice(stats: Stats): boolean {
  if (!stats.isCharacterDevice()) return false;
  try {
    return statSync("/dev/null").rdev === stats.rdev;
  } catch {
    return false;
  }
}

/**
 * Writes the temporary file. Replacing an existing file, it starts readable by its owner alone
 * (the old file may be private) and takes the old file's mode and owner before it is renamed; a
 * new file is created with 0666 so that the umask gives it the default mode.
 */
async function writeTemporary(
  temporary: string,
  bytes: Uint8Array,
  existing: Stats | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  // "wx": never open something that is already there (a link planted at the temporary name).
  const handle = await open(temporary, "wx", existing ? 0o600 : 0o666);
  try {
    for (let offset = 0; offset < bytes.byteLength; ) {
      throwIfAborted(signal);
      const length = Math.min(CHUNK_BYTES, bytes.byteLength - offset);
      offset += (await handle.write(bytes, offset, length)).bytesWritten;
    }
    if (existing) {
      // chown first: it clears set-user-id bits that the chmod then restores.
      if (runsAsRoot()) await handle.chown(existing.uid, existing.gid);
      await handle.chmod(existing.mode & 0o7777);
    }
    // Flush before the rename so that a crash cannot leave an empty file under the final name.
    await handle.sync();
  } finally {
    await handle.close();
  }
  throwIfAborted(signal);
}

/** Flushes a folder's entries (the rename); best effort, as not every platform can open a folder. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file is in place; only its durability across a power loss is less certain.
  }
}

const systemHints: Readonly<Record<string, string>> = {
  ENOSPC: "Free some space on the disk, or write elsewhere.",
  EDQUOT: "Free some space within your quota, or write elsewhere.",
  EACCES: "Check that you may write to that folder.",
  EPERM: "Check that you may write to that folder.",
  EROFS: "That file system is read-only: write elsewhere.",
};

/**
 * System errors become IO_ERROR naming the path (never the temporary file); typed errors (aborts)
 * and bugs pass through. `replaced`: files of the set already renamed into place.
 */
function asWriteError(path: string, error: unknown, replaced: readonly { given: string }[] = []): unknown {
  if (isTokenscopeError(error) || errnoCode(error) === undefined) return error;
  const already =
    replaced.length > 0
      ? ` ${replaced.map((file) => file.given).join(", ")} ${replaced.length === 1 ? "was" : "were"} already written; the rest were not.`
      : " Nothing was written.";
  return ioError(
    path,
    `Could not write ${path}: ${systemReason(error)}.${already}`,
    systemHints[errnoCode(error) ?? ""] ?? "Check that the folder exists and is writable.",
    error,
  );
}
