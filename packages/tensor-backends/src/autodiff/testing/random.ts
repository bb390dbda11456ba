/**
 * A tiny seeded generator (mulberry32) for deterministic test inputs. Tests need reproducible numbers,
 * not statistical quality, and this package takes no dependency for it.
 */

/** Uniform numbers in [0, 1) from a 32-bit seed. */
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

/** `count` uniform numbers in [low, high). */
export function uniformValues(random: () => number, count: number, low = -1, high = 1): number[] {
  return Array.from({ length: count }, () => low + (high - low) * random());
}
