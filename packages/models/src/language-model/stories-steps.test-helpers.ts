import { onceUponATimeIds } from "../testing/assets.test-helpers.ts";

const ids = [...onceUponATimeIds, 29, 437, 263];

/** Three steps on "Once upon a time" and three more tokens: objective positions and target ids. */
export const storiesSteps = {
  ids,
  positions: [ids.length - 3, ids.length - 2, ids.length - 1],
  targets: [29, 437, 263],
};

/** Largest absolute difference over the largest |expected|: a relative error insensitive to tiny entries. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return worst / scale;
}
