import { expect } from "vitest";

/**
 * Largest difference of `values` from `reference` relative to the largest magnitude of `reference`;
 * fails the test when their lengths differ or `reference` is all zeros.
 */
export function relativeDifference(values: ArrayLike<number>, reference: ArrayLike<number>): number {
  expect(values.length).toBe(reference.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    worst = Math.max(worst, Math.abs(values[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return worst / scale;
}
