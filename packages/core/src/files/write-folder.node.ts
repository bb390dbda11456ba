import { type Dirent, existsSync, renameSync, rmSync, type Stats } from "node:fs";
import { chmod, lstat, mkdir, readdir, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isTokenscopeError, throwIfAborted } from "../errors/index.ts";
import { onExitCleanup } from "./exit-cleanup.node.ts";
import { describeKind, errnoCode, ioError, siblingPath, systemReason } from "./paths.node.ts";
import { checkNotProtectedFolder, checkReplaceableFolder } from "./replaceable-folder.node.ts";

/** Options of {@link writeFolderAtomically}. */
export interface WriteFolderOptions {
  /**
   * Replace an existing non-empty folder (default false: it is refused). Only a model folder is
   * ever replaced (see {@link writeFolderAtomically}).
   */
  force?: boolean;
  /** Cancels the write: the temporary folder is removed and the call rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/** Where the folder ends up (links resolved) and the folder that is there now, if any. */
interface FolderTarget {
  path: string;
  existing: { stats: Stats; empty: boolean } | undefined;
}

/**
 * Writes a folder as a whole, the one way tokenscope writes one (`models random`): checks the
 * target first, then lets `write` fill a new temporary folder beside it
 * (`.name.tokenscope-<pid>-<id>.tmp`) and renames that into place, so the target is either as it
 * was or complete, never half written.
 * - A missing target or an empty folder is written; a non-empty folder is refused unless
 *   `force`, and a file or anything else at the target always is (a file is never replaced by a
 *   folder). A symbolic link to a folder is written through: the link stays.
 * - Replacing removes the old folder, so even with `force` only a model folder is replaced: one
 *   holding nothing but a model's files (config.json, *.safetensors, tokenizer files, README.md,
 *   ...; no sub-folders, no `.git`). The filesystem root, the home folder, the current folder and
 *   any folder containing one of them are never written, empty or not. The contents are checked
 *   again just before the old folder is moved aside.
 * - With `force`, the old folder is renamed aside (`.name.tokenscope-<pid>-<id>.old`), the new one
 *   renamed into place, then the old one removed; replacing keeps the old folder's mode. If the
 *   process exits between the two renames (`process.exit`, the CLI's second Ctrl-C) the old folder
 *   is renamed back; killed outright (SIGKILL, power loss) in that instant, the target is missing
 *   and the old folder is the `.old` sibling: rename it back by hand.
 * - A failure in `write`, an abort through `signal` (checked before and after `write`, which
 *   should check it too), or `process.exit` while writing removes the temporary folder.
 * @param write Fills the folder it is given (it exists, empty); its errors are passed on.
 * @throws TokenscopeError IO_ERROR naming the target when it is refused (saying why, with a hint
 *   naming `--force` for a non-empty model folder) or cannot be written; ABORTED when `signal`
 *   aborts.
 */
export async function writeFolderAtomically(
  target: string,
  write: (temporaryFolder: string) => Promise<void>,
  options: WriteFolderOptions = {},
): Promise<void> {
  const { signal } = options;
  throwIfAborted(signal);
  const resolved = await resolveFolderTarget(target, options.force === true);
  const temporary = siblingPath(resolved.path, "tmp");
  try {
    await mkdir(dirname(resolved.path), { recursive: true });
    // 0777 so that the umask gives a new folder the default mode.
    await mkdir(temporary, { mode: 0o777 });
  } catch (error) {
    throw asFolderError(target, error);
  }
  const forget = onExitCleanup(() => rmSync(temporary, { recursive: true, force: true }));
  try {
    await write(temporary);
    throwIfAborted(signal);
    if (resolved.existing) await chmod(temporary, resolved.existing.stats.mode & 0o7777);
    // Checked again just before the old folder is moved aside: it may have changed while writing.
    if (resolved.existing && !resolved.existing.empty)
      checkReplaceableFolder(target, await folderEntries(target, resolved.path));
    await moveIntoPlace(temporary, resolved);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw asFolderError(target, error);
  } finally {
    forget();
  }
}

/**
 * Refuses `target` exactly as {@link writeFolderAtomically} would, without writing: lets a command
 * reject `--out` before generating what it would write.
 * @throws TokenscopeError IO_ERROR saying what is at the path and what to do.
 */
export async function checkWritableFolder(target: string, options: { force?: boolean } = {}): Promise<void> {
  await resolveFolderTarget(target, options.force === true);
}

async function resolveFolderTarget(target: string, force: boolean): Promise<FolderTarget> {
  let link: Stats;
  try {
    link = await lstat(target);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return { path: resolve(target), existing: undefined };
    throw asFolderError(target, error);
  }
  let stats = link;
  let path = resolve(target);
  if (link.isSymbolicLink()) {
    const pointsTo = await readlink(target).catch(() => "?");
    try {
      stats = await stat(target);
    } catch (error) {
      throw ioError(
        target,
        `Could not write the folder ${target}: it is a symbolic link to ${pointsTo}, which does not exist.`,
        "tokenscope writes through links but does not create their targets: create the folder first, or remove the link.",
        error,
      );
    }
    path = await realpath(target);
  }
  if (!stats.isDirectory()) {
    throw ioError(
      target,
      `Could not write the folder ${target}: it is ${describeKind(stats)}, not a folder. Nothing was written.`,
      "Pass the path of a new or empty folder (a file is never replaced by a folder, even with --force).",
    );
  }
  await checkNotProtectedFolder(target, path);
  const entries = await folderEntries(target, path);
  if (entries.length > 0) checkReplaceableFolder(target, entries);
  if (entries.length > 0 && !force) {
    const shown =
      entries
        .slice(0, 3)
        .map((entry) => entry.name)
        .join(", ") + (entries.length > 3 ? ", ..." : "");
    throw ioError(
      target,
      `Could not write the folder ${target}: it exists and is not empty (${entries.length} ${entries.length === 1 ? "entry" : "entries"}: ${shown}). Nothing was written.`,
      "Pass --force to replace it (the old folder is removed once the new one is complete), or choose a new folder.",
    );
  }
  return { path, existing: { stats, empty: entries.length === 0 } };
}

async function folderEntries(target: string, path: string): Promise<Dirent[]> {
  return readdir(path, { withFileTypes: true }).catch((error: unknown) => {
    throw asFolderError(target, error);
  });
}

/** Renames the finished temporary folder to the target, moving a non-empty old folder aside first. */
async function moveIntoPlace(temporary: string, target: FolderTarget): Promise<void> {
  // rename(2) replaces an empty folder in one step; a non-empty one has to be moved out of the way.
  if (!target.existing || target.existing.empty) {
    await rename(temporary, target.path);
    return;
  }
  const aside = siblingPath(target.path, "old");
  await rename(target.path, aside);
  const forget = onExitCleanup(() => {
    if (existsSync(target.path)) rmSync(aside, { recursive: true, force: true });
    else renameSync(aside, target.path);
  });
  try {
    try {
      await rename(temporary, target.path);
    } catch (error) {
      await rename(aside, target.path);
      throw error;
    }
    await rm(aside, { recursive: true, force: true }).catch((error: unknown) => {
      throw ioError(
        target.path,
        `Wrote ${target.path}, but could not remove the folder it replaced, now at ${aside}: ${(error as Error).message}.`,
        `Remove ${aside} by hand.`,
        error,
      );
    });
  } finally {
    forget();
  }
}

/**
 * System errors (ENOSPC, EACCES, ...) become IO_ERROR naming the target; anything else (the
 * callback's typed errors, aborts, a bug's TypeError) passes through as it is.
 */
function asFolderError(target: string, error: unknown): unknown {
  if (isTokenscopeError(error) || errnoCode(error) === undefined) return error;
  return ioError(
    target,
    `Could not write the folder ${target}: ${systemReason(error)}.`,
    "Check that its parent folder is writable and has room.",
    error,
  );
}
