import type { Completion } from "../endpoint/types.ts";

/**
 * Where answered requests are kept, keyed by {@link cacheKey}: a hit is answered without
 * sending anything, which is what lets an interrupted or repeated run resume without paying
 * twice. Only successful responses are stored. `get` treats anything unreadable as a miss.
 */
export interface ResponseCache {
  /** The completion stored under `key`, or undefined. */
  get(key: string): Promise<Completion | undefined>;
  /** Stores `value` under `key` (replacing what was there). */
  set(key: string, value: Completion): Promise<void>;
}
