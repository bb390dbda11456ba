/**
 * The Node storage of a weight file (weights/weight-file.ts): a file of its own in the cache folder,
 * deleted when its model is disposed or the process exits. A process killed before either leaves its
 * file behind; the next one to open a file in the folder deletes files whose process is gone.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import type { WeightFileStorage } from "../weights/weight-file.ts";

const FILE_NAME = /^weights-(\d+)-[0-9a-z]+\.bin$/;

/**
 * The folder weight files go in: TOKENSCOPE_WEIGHTS_DIR, else `tokenscope/weights` in the user's cache
 * folder (XDG_CACHE_HOME or ~/.cache). It is on disk, not in a RAM file system, so the kernel can
 * drop the mapped pages under memory pressure and read them back.
 */
export function defaultWeightFolder(): string {
  const explicit = process.env["TOKENSCOPE_WEIGHTS_DIR"];
  if (explicit) return explicit;
  const cache = process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  return join(cache, "tokenscope", "weights");
}

// Files of this process still open, deleted by one exit handler: the only process-wide state here.
const open = new Set<string>();
let exitHandler = false;

function deleteOnExit(path: string): void {
  open.add(path);
  if (exitHandler) return;
  exitHandler = true;
  process.once("exit", () => {
    for (const file of open) rmSync(file, { force: true });
  });
}

function processIsGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function sweepStale(folder: string): void {
  for (const name of readdirSync(folder)) {
    const match = FILE_NAME.exec(name);
    if (match && processIsGone(Number(match[1]))) rmSync(join(folder, name), { force: true });
  }
}

/** Opens a new, empty weight file in `folder` (default {@link defaultWeightFolder}). */
export function openWeightFileStorage(folder = defaultWeightFolder()): WeightFileStorage {
  const location = `weights-${process.pid}-${Math.random().toString(36).slice(2, 10)}.bin`;
  const path = join(folder, location);
  let fd: number;
  try {
    mkdirSync(folder, { recursive: true });
    sweepStale(folder);
    fd = openSync(path, "wx+");
  } catch (error) {
    throw new TokenscopeError(
      "IO_ERROR",
      `Cannot create a weight file in ${folder}: ${(error as Error).message}.`,
      {
        hint: "Point TOKENSCOPE_WEIGHTS_DIR at a writable folder on disk, or keep the weights in memory (TOKENSCOPE_MAP_WEIGHTS=off, or `mapWeights: false`).",
        details: { folder },
        cause: error,
      },
    );
  }
  deleteOnExit(path);
  let size = 0;
  let removed = false;
  return {
    folder,
    location,
    append(bytes) {
      const offset = size;
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
      }
      size += bytes.byteLength;
      return offset;
    },
    read(offset, length) {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const got = readSync(fd, bytes, done, length - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return bytes;
    },
    async remove() {
      if (removed) return;
      removed = true;
      closeSync(fd);
      rmSync(path, { force: true });
      open.delete(path);
    },
  };
}
