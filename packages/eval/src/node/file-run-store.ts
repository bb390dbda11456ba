import { rmSync } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isTokenscopeError, TokenscopeError } from "@tokenscope/core";
import { writeFileAtomically } from "@tokenscope/core/node";
import { canonicalJson } from "../runner/fingerprint.ts";
import { otherRunError } from "../runner/memory-run-store.ts";
import type { RunIdentity, RunStore } from "../runner/types.ts";

/** The index of a run folder: which items are finished, in which files, and the run's settings. */
export const RUN_INDEX_FILE = "index.json";

/** The lock file of a run folder while a run writes to it: the writer's process id. */
export const RUN_LOCK_FILE = ".tokenscope-run.lock";

/** What `index.json` holds. */
export interface RunIndex {
  format: "tokenscope-run";
  version: 1;
  /** The fingerprint of the run's settings. */
  fingerprint: string;
  /** The run's settings (canonical JSON: keys sorted). */
  settings: unknown;
  /** The finished items, in index order: 0-based index, key, file name in the folder. */
  items: { index: number; key: string; file: string }[];
}

/** Options of {@link createFileRunStore}. */
export interface FileRunStoreOptions<O> {
  /** The bytes (or text, written as UTF-8) of one item's file. */
  serialize(output: O): Uint8Array | string;
  /** An output back from the bytes of its file (`file`: its path, for messages). */
  deserialize(bytes: Uint8Array, file: string): O;
  /**
   * The file name of item `index` (0-based): a plain name, no folder, not starting with ".", not
   * `index.json`. Default `item-00001.json` for index 0 (five digits at least).
   */
  fileName?(key: string, index: number): string;
}

/** The default file name of item `index` (0-based): `item-00001.json`, `item-00002.json`, ... */
export function defaultItemFileName(_key: string, index: number): string {
  return `item-${String(index + 1).padStart(5, "0")}.json`;
}

/** The temporary files `writeFileAtomically` writes beside a target: `.name.tokenscope-<pid>-<hex>.tmp`. */
const TEMPORARY_FILE = /^\..*\.tokenscope-(\d+)-[0-9a-f]+\.tmp$/;

function folderError(dir: string, message: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("IO_ERROR", message, {
    hint,
    details: { path: dir },
    ...(cause ? { cause } : {}),
  });
}

/** True when process `pid` is running (also when it belongs to another user). */
function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function checkFileName(name: string, key: string, index: number): string {
  if (
    typeof name !== "string" ||
    name.length === 0 ||
    name.startsWith(".") ||
    name.includes("/") ||
    name.includes("\\") ||
    name === RUN_INDEX_FILE
  ) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `fileName gave ${JSON.stringify(name)} for item ${index + 1} ("${key}"): not a plain file name.`,
      { hint: `Return a name without folders, not starting with ".", other than ${RUN_INDEX_FILE}.` },
    );
  }
  return name;
}

/** The index read from its text, checked; anything else is refused (it is only ever written whole). */
function parseIndex(dir: string, text: string): RunIndex {
  const damaged = (what: string) =>
    folderError(
      dir,
      `${join(dir, RUN_INDEX_FILE)} is not a run index (${what}).`,
      "It was written by something other than tokenscope: write this run to another folder.",
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw damaged(`not JSON: ${(error as Error).message}`);
  }
  const index = value as Partial<RunIndex> | null;
  if (!index || typeof index !== "object" || index.format !== "tokenscope-run") throw damaged("no format");
  if (index.version !== 1) throw damaged(`version ${String(index.version)}, this tokenscope reads 1`);
  if (typeof index.fingerprint !== "string" || !Array.isArray(index.items)) throw damaged("no items");
  for (const item of index.items) {
    if (
      !item ||
      !Number.isSafeInteger(item.index) ||
      item.index < 0 ||
      typeof item.key !== "string" ||
      typeof item.file !== "string"
    ) {
      throw damaged("a malformed item");
    }
  }
  return index as RunIndex;
}

/**
 * A {@link RunStore} in a folder, one file per finished item plus `index.json`:
 * - each output is written with core's `writeFileAtomically` (a temporary beside it, flushed, renamed),
 *   so a file under its final name is always whole; then `index.json` (items done, their files, the
 *   settings and their fingerprint) is rewritten the same way. An item counts as finished once the
 *   index lists it: killed between the two writes, the item is simply run again and its file replaced;
 * - `open` refuses a folder that holds a run with other settings (`INCOMPATIBLE_RESULTS`, naming what
 *   differs), a folder that is not empty and holds no run (it never writes into a folder of other
 *   files), a path that is not a folder, and a folder another live process is writing a run to (a
 *   lock file with its process id; one left by a killed process is taken over). It removes temporary
 *   files left by a killed writer, and forgets listed items whose file has gone;
 * - nothing but its own files (the item files, the index, the lock, temporaries) is ever written or
 *   removed.
 * The folder is created when missing.
 */
export function createFileRunStore<O>(dir: string, options: FileRunStoreOptions<O>): RunStore<O> {
  const indexPath = join(dir, RUN_INDEX_FILE);
  const lockPath = join(dir, RUN_LOCK_FILE);
  const fileName = options.fileName ?? defaultItemFileName;
  let identity: RunIdentity | undefined;
  const entries = new Map<string, { index: number; file: string }>();
  const owners = new Map<string, string>();
  let releaseLock: (() => void) | undefined;
  let saving: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  const indexText = () => {
    const items = [...entries]
      .map(([key, entry]) => ({ index: entry.index, key, file: entry.file }))
      .sort((a, b) => a.index - b.index);
    const index: RunIndex = {
      format: "tokenscope-run",
      version: 1,
      fingerprint: identity!.fingerprint,
      settings: identity!.settings,
      items,
    };
    return `${JSON.stringify(index, null, 1)}\n`;
  };

  /**
   * Rewrites the index with every entry so far. Saves never overlap (the last rename must carry the
   * newest state), and calls made while one is under way share the next save.
   */
  const saveIndex = (): Promise<void> => {
    if (queued) return queued;
    const next = saving
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return writeFileAtomically(indexPath, indexText());
      });
    queued = next;
    saving = next;
    return next;
  };

  const checkOpen = () => {
    if (!identity || !releaseLock) {
      throw new TokenscopeError("INVALID_INPUT", `The run store of ${dir} was used before open().`, {
        hint: "Call open() first (runItems does).",
      });
    }
  };

  /** Takes the folder's lock, or refuses when a live process holds it. */
  const takeLock = async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(lockPath, "wx");
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        const remove = () => rmSync(lockPath, { force: true });
        process.on("exit", remove);
        releaseLock = () => {
          process.off("exit", remove);
          remove();
        };
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          throw folderError(
            dir,
            `Could not write to ${dir}: ${(error as Error).message}.`,
            "Check that the folder is writable.",
            error,
          );
        }
      }
      const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (isAlive(holder)) {
        throw folderError(
          dir,
          `Another run (process ${holder}) is writing to ${dir}${holder === process.pid ? " (this process)" : ""}.`,
          "Wait for it to end, or write this run to another folder.",
        );
      }
      // Left by a process that was killed: take it over.
      await rm(lockPath, { force: true });
    }
    throw folderError(
      dir,
      `Could not take the lock of ${dir}.`,
      "Another run may be starting there: try again.",
    );
  };

  return {
    async open(asked) {
      if (identity && releaseLock) {
        if (identity.fingerprint !== asked.fingerprint) throw otherRunError(dir, identity, asked);
        return;
      }
      identity = undefined;
      entries.clear();
      owners.clear();
      const existing = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw folderError(dir, `Could not read ${dir}: ${error.message}.`, "Check the path.", error);
      });
      if (existing && !existing.isDirectory()) {
        throw folderError(
          dir,
          `${dir} is not a folder.`,
          "Give the folder of the run (a new one is created), not a file.",
        );
      }
      if (!existing) await mkdir(dir, { recursive: true });
      const names = await readdir(dir);
      const ours = (name: string) => name === RUN_LOCK_FILE || TEMPORARY_FILE.test(name);
      const hasIndex = names.includes(RUN_INDEX_FILE);
      if (!hasIndex) {
        const others = names.filter((name) => !ours(name));
        if (others.length > 0) {
          throw folderError(
            dir,
            `${dir} holds ${others.length} file${others.length === 1 ? "" : "s"} (e.g. ${others[0]}) but no run (${RUN_INDEX_FILE}): tokenscope writes a run only to a new or empty folder, or to the folder of a run it resumes.`,
            "Give a new folder, e.g. --out-dir runs/my-run.",
          );
        }
      }
      await takeLock();
      try {
        for (const name of names) {
          const match = TEMPORARY_FILE.exec(name);
          if (match && !isAlive(Number(match[1]))) await rm(join(dir, name), { force: true });
        }
        const settings = JSON.parse(canonicalJson(asked.settings, "settings")) as unknown;
        if (hasIndex) {
          const held = parseIndex(dir, await readFile(indexPath, "utf8"));
          if (held.fingerprint !== asked.fingerprint) {
            throw otherRunError(dir, { fingerprint: held.fingerprint, settings: held.settings }, asked);
          }
          for (const item of held.items) {
            const present = await stat(join(dir, item.file)).then(
              (stats) => stats.isFile(),
              () => false,
            );
            if (!present || owners.has(item.file)) continue;
            entries.set(item.key, { index: item.index, file: item.file });
            owners.set(item.file, item.key);
          }
        }
        identity = { fingerprint: asked.fingerprint, settings };
        await saveIndex();
      } catch (error) {
        identity = undefined;
        releaseLock?.();
        releaseLock = undefined;
        throw error;
      }
    },
    async has(key) {
      return entries.has(key);
    },
    async read(key) {
      const entry = entries.get(key);
      if (!entry) {
        throw new TokenscopeError("INVALID_INPUT", `Item "${key}" is not finished in ${dir}.`, {
          details: { key, path: dir },
        });
      }
      const path = join(dir, entry.file);
      try {
        return options.deserialize(new Uint8Array(await readFile(path)), path);
      } catch (error) {
        if (isTokenscopeError(error)) throw error;
        throw folderError(
          dir,
          `Could not read ${path}: ${(error as Error).message}.`,
          "Check the file.",
          error,
        );
      }
    },
    async write(key, output, index) {
      checkOpen();
      const file = checkFileName(fileName(key, index), key, index);
      const owner = owners.get(file);
      if (owner !== undefined && owner !== key) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `Items "${owner}" and "${key}" would both be written to ${file}.`,
          { hint: "Give each item its own file name (fileName)." },
        );
      }
      await writeFileAtomically(join(dir, file), options.serialize(output));
      entries.set(key, { index, file });
      owners.set(file, key);
      await saveIndex();
    },
    async keys() {
      return [...entries].sort((a, b) => a[1].index - b[1].index).map(([key]) => key);
    },
    async close() {
      await saving.catch(() => {});
      releaseLock?.();
      releaseLock = undefined;
    },
  };
}
