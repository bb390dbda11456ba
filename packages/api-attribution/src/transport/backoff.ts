/** Options of {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** The ceiling of the first retry's delay, in milliseconds (default 500). */
  baseDelayMs?: number;
  /** No delay is longer than this, in milliseconds (default 30 000). */
  maxDelayMs?: number;
  /** A number in [0, 1): `Math.random` unless a test injects a seeded one. */
  random?: () => number;
}

/** Default first-retry ceiling of {@link backoffDelayMs}. */
export const defaultBaseDelayMs = 500;
/** Default longest delay of {@link backoffDelayMs}. */
export const defaultMaxDelayMs = 30_000;

/**
 * Exponential backoff with full jitter (AWS's "full jitter"): the delay before retry `attempt`
 * (0 for the first retry) is uniform in [0, min(maxDelayMs, baseDelayMs * 2^attempt)). Jitter
 * spreads the retries of many concurrent requests instead of sending them back in one burst.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? defaultBaseDelayMs;
  const max = options.maxDelayMs ?? defaultMaxDelayMs;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * A seeded random number generator (mulberry32) giving numbers in [0, 1): lets tests and
 * reproducible runs fix the jitter.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
