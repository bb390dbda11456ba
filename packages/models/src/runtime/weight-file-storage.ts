/**
 * The Node storage of a weight file (weights/weight-file.ts): a file of its own in the cache folder,
 * deleted when its model is disposed or the process exits. A process killed before either leaves its
 * file behind; the next one to open a file in the folder deletes files whose process is gone.
 *
 * With a cache key (the identity of the model's files and of what the file holds), a run that finds
 * no cache keeps its file when its model is disposed, as `cache-<key>-<id>.bin` with an index
 * `cache-<key>.json` of where each matrix lies; a later run with the same key maps that file as it is
 * and writes nothing (matrices the cache lacks go to a file of its own, deleted as before). The index
 * is published last and exclusively, so concurrent runs never see a half-written cache.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import type { PlacedWeight, WeightFileStorage } from "../weights/weight-file.ts";

const FILE_NAME = /^weights-(\d+)-[0-9a-z]+\.bin$/;
const CACHE_NAME = /^cache-[0-9a-f]{64}(?:-[0-9a-z]+\.bin|\.json)$/;

/**
 * What a cached weight file's placements mean; part of every cache key, bumped whenever the layout
 * of the file changes (element types, block scales, transposes), so no run reads an older layout.
 */
export const WEIGHT_CACHE_FORMAT = 2;

/** The files a model's weights were read from, and everything else that decides the weight file. */
export interface WeightCacheIdentity {
  files: readonly string[];
  /** The decoder config, precision and tool version: anything that changes what is filed. */
  settings: unknown;
}

/**
 * The cache key of `identity`: a SHA-256 over the cache format, the settings and each file's path,
 * size and modification time (a changed or replaced file gives a new key, so a stale cache is never
 * read; it stays until cleared). Undefined when a file cannot be read.
 */
export function weightCacheKey(identity: WeightCacheIdentity): string | undefined {
  try {
    const files = identity.files.map((file) => {
      const stats = statSync(file);
      return [file, stats.size, stats.mtimeMs];
    });
    const text = JSON.stringify({ format: WEIGHT_CACHE_FORMAT, settings: identity.settings, files });
    return createHash("sha256").update(text).digest("hex");
  } catch {
    return undefined;
  }
}

/** The weight files cached in `folder` (default {@link defaultWeightFolder}): how many, how many bytes. */
export function weightCacheUsage(folder = defaultWeightFolder()): {
  folder: string;
  models: number;
  bytes: number;
} {
  let models = 0;
  let bytes = 0;
  for (const name of safeList(folder)) {
    if (!CACHE_NAME.test(name)) continue;
    if (name.endsWith(".json")) models++;
    bytes += safeSize(join(folder, name));
  }
  return { folder, models, bytes };
}

/** Deletes every cached weight file in `folder` (default {@link defaultWeightFolder}); returns what was freed. */
export function clearWeightCache(folder = defaultWeightFolder()): {
  folder: string;
  models: number;
  bytes: number;
} {
  const usage = weightCacheUsage(folder);
  for (const name of safeList(folder)) if (CACHE_NAME.test(name)) rmSync(join(folder, name), { force: true });
  return usage;
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A cache index as written: where each matrix lies in `file`, which is `bytes` long. */
interface CacheIndex {
  format: number;
  key: string;
  file: string;
  bytes: number;
  placements: [string, PlacedWeight][];
}

/** The placements of a complete cache for `key` in `folder`, or undefined (a damaged index is deleted). */
function readCache(
  folder: string,
  key: string,
): { file: string; placed: Map<string, PlacedWeight> } | undefined {
  const indexPath = join(folder, `cache-${key}.json`);
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, "utf8")) as CacheIndex;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") rmSync(indexPath, { force: true });
    return undefined;
  }
  const complete =
    index.format === WEIGHT_CACHE_FORMAT &&
    index.key === key &&
    typeof index.file === "string" &&
    CACHE_NAME.test(index.file) &&
    Array.isArray(index.placements) &&
    safeSize(join(folder, index.file)) === index.bytes;
  if (!complete) {
    rmSync(indexPath, { force: true });
    return undefined;
  }
  return { file: index.file, placed: new Map(index.placements) };
}

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

/**
 * Opens a new, empty weight file in `folder` (default {@link defaultWeightFolder}); with `cacheKey`
 * (see {@link weightCacheKey}), one that reads the cache of that key when there is one and becomes
 * it otherwise (see the file's comment).
 */
export function openWeightFileStorage(folder = defaultWeightFolder(), cacheKey?: string): WeightFileStorage {
  const location = `weights-${process.pid}-${Math.random().toString(36).slice(2, 10)}.bin`;
  const path = join(folder, location);
  try {
    mkdirSync(folder, { recursive: true });
    sweepStale(folder);
  } catch (error) {
    throw cannotCreate(folder, error);
  }
  const cache = cacheKey === undefined ? undefined : readCache(folder, cacheKey);
  // A complete cache is read, never written: this run's own file is made on its first append.
  let fd: number | undefined;
  const ownFile = (): number => {
    if (fd !== undefined) return fd;
    try {
      fd = openSync(path, "wx+");
    } catch (error) {
      throw cannotCreate(folder, error);
    }
    deleteOnExit(path);
    return fd;
  };
  if (cache === undefined) ownFile();
  let cacheFd: number | undefined;
  let size = 0;
  let removed = false;
  let published = false;
  const readFrom = (handle: number, offset: number, length: number): Uint8Array => {
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const got = readSync(handle, bytes, done, length - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return bytes;
  };
  return {
    folder,
    location,
    ...(cache ? { cached: cache.placed } : {}),
    append(bytes) {
      const handle = ownFile();
      const offset = size;
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(handle, bytes, done, bytes.byteLength - done, offset + done);
      }
      size += bytes.byteLength;
      return offset;
    },
    read(offset, length, from) {
      if (cache !== undefined && from === cache.file) {
        cacheFd ??= openSync(join(folder, cache.file), "r");
        return readFrom(cacheFd, offset, length);
      }
      return readFrom(ownFile(), offset, length);
    },
    publish(placed) {
      if (cacheKey === undefined || cache !== undefined || published || removed || size === 0) return;
      published = true;
      const file = `cache-${cacheKey}-${Math.random().toString(36).slice(2, 10)}.bin`;
      const indexPath = join(folder, `cache-${cacheKey}.json`);
      const moved = (at: PlacedWeight): PlacedWeight =>
        at.dataType === "int8"
          ? { ...at, location: file, scales: { ...at.scales, location: file } }
          : { ...at, location: file };
      const index: CacheIndex = {
        format: WEIGHT_CACHE_FORMAT,
        key: cacheKey,
        file,
        bytes: size,
        placements: [...placed].map(([name, at]) => [name, moved(at)]),
      };
      const draft = `${indexPath}.${process.pid}.tmp`;
      try {
        closeSync(ownFile());
        fd = undefined;
        renameSync(path, join(folder, file));
        open.delete(path);
        writeFileSync(draft, JSON.stringify(index));
        // Exclusive: a run that published first keeps its cache, and this one's file goes.
        linkSync(draft, indexPath);
      } catch {
        rmSync(join(folder, file), { force: true });
      } finally {
        rmSync(draft, { force: true });
        rmSync(path, { force: true });
        open.delete(path);
      }
    },
    async remove() {
      if (removed) return;
      removed = true;
      if (fd !== undefined) closeSync(fd);
      if (cacheFd !== undefined) closeSync(cacheFd);
      rmSync(path, { force: true });
      open.delete(path);
    },
  };
}

function cannotCreate(folder: string, error: unknown): TokenscopeError {
  return new TokenscopeError(
    "IO_ERROR",
    `Cannot create a weight file in ${folder}: ${(error as Error).message}.`,
    {
      hint: "Point TOKENSCOPE_WEIGHTS_DIR at a writable folder on disk, or keep the weights in memory (TOKENSCOPE_MAP_WEIGHTS=off, or `mapWeights: false`).",
      details: { folder },
      cause: error,
    },
  );
}
