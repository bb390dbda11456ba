import type { Completion } from "../endpoint/types.ts";
import type { ResponseCache } from "./response-cache.ts";

/** A {@link ResponseCache} in memory, with how many entries it holds. */
export interface MemoryCache extends ResponseCache {
  readonly size: number;
}

/**
 * A response cache in memory (for one process: repeated identical requests of a run, tests,
 * browsers). Values are copied in and out, so callers cannot change what is stored.
 */
export function createMemoryCache(): MemoryCache {
  const entries = new Map<string, Completion>();
  return {
    async get(key) {
      const value = entries.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    async set(key, value) {
      entries.set(key, structuredClone(value));
    },
    get size() {
      return entries.size;
    },
  };
}
