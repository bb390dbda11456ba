import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import { writeFileAtomically } from "@tokenscope/core/node";
import type { Completion } from "../endpoint/types.ts";
import type { ResponseCache } from "./response-cache.ts";
import { isCompletion } from "./validate.ts";

/** The format of one cache file; bumped when it changes (older files are then misses). */
const fileFormat = "tokenscope-response-cache/1";

/** A {@link ResponseCache} on disk, with the folder it uses. */
export interface DiskCache extends ResponseCache {
  readonly dir: string;
}

const keyPattern = /^[0-9a-f]{64}$/;

/**
 * A response cache in the folder `dir` (created when the first answer is stored): one JSON file
 * per key, `<key>.json`, written atomically through core's `writeFileAtomically` (a run killed
 * while writing leaves the old file or none, never a part). A file that is missing, unreadable,
 * truncated, of another format or of another key is a miss, and is replaced on the next store.
 * The files hold the request's answer only: no API key, no headers.
 * @throws TokenscopeError INVALID_INPUT when `dir` is empty; `set` throws IO_ERROR when it cannot write.
 */
export function createDiskCache(dir: string): DiskCache {
  if (typeof dir !== "string" || dir.trim() === "") {
    throw new TokenscopeError("INVALID_INPUT", "The cache folder must be a non-empty path.", {
      details: { dir },
    });
  }
  const pathOf = (key: string): string => {
    if (!keyPattern.test(key)) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `A cache key must be 64 lowercase hex digits, not "${key}".`,
        {
          details: { key },
        },
      );
    }
    return join(dir, `${key}.json`);
  };
  return {
    dir,
    async get(key) {
      const path = pathOf(key);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch {
        return undefined;
      }
      try {
        const stored = JSON.parse(text) as { format?: unknown; key?: unknown; completion?: unknown };
        if (stored.format !== fileFormat || stored.key !== key || !isCompletion(stored.completion))
          return undefined;
        return stored.completion;
      } catch {
        return undefined;
      }
    },
    async set(key, value: Completion) {
      const path = pathOf(key);
      await writeFileAtomically(path, `${JSON.stringify({ format: fileFormat, key, completion: value })}\n`);
    },
  };
}
