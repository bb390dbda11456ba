import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { mersenne } from "pure-rand/generator/mersenne";

/** A seeded stream of random numbers (Mersenne Twister, through pure-rand). */
export interface RandomStream {
  /** A uniform float in [0, 1). */
  float(): number;
  /** A uniform integer in [from, to] (both included). */
  int(from: number, to: number): number;
}

/** FNV-1a hash of token ids: tells sequences apart without depending on their place in a batch. */
export function hashIds(ids: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const id of ids) {
    hash ^= id;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The random stream of one attributed step. Every (sequence, step) gets its own
 * stream, seeded from the user's seed, the step's input ids and the step index
 * only, so a step's result does not depend on which other sequences or steps
 * share the call (batched equals single) nor on the batch size.
 */
export function stepStream(seed: number, ids: readonly number[], step: number): RandomStream {
  // Mersenne Twister spreads nearby seeds well; the multiplier keeps (seed, step) pairs apart.
  const generator = mersenne((Math.imul(seed >>> 0, 0x9e3779b1) + hashIds(ids) + step) | 0);
  return {
    float: () => uniformFloat64(generator),
    int: (from, to) => uniformInt(generator, from, to),
  };
}

/** A uniformly random permutation of 0..length-1 (Fisher–Yates). */
export function randomPermutation(random: RandomStream, length: number): number[] {
  const order = Array.from({ length }, (_, index) => index);
  for (let index = length - 1; index > 0; index--) {
    const other = random.int(0, index);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}
