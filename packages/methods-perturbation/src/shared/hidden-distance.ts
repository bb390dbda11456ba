import type { TensorData } from "@tokenscope/core";

/** How value zeroing compares a hidden state with its original. */
export type HiddenDistance = "cosine" | "euclidean";

/**
 * Distance between `original` and `changed` (hidden vectors of equal length, read
 * from offsets): 1 − cosine similarity, or the Euclidean distance, in float64.
 * Two zero vectors are at distance 0; a zero vector against a non-zero one at
 * cosine distance 1.
 */
export function hiddenDistance(
  kind: HiddenDistance,
  original: TensorData,
  originalOffset: number,
  changed: TensorData,
  changedOffset: number,
  size: number,
): number {
  let dot = 0;
  let originalNorm = 0;
  let changedNorm = 0;
  let squared = 0;
  for (let i = 0; i < size; i++) {
    const a = original[originalOffset + i]!;
    const b = changed[changedOffset + i]!;
    dot += a * b;
    originalNorm += a * a;
    changedNorm += b * b;
    squared += (a - b) * (a - b);
  }
  if (kind === "euclidean") return Math.sqrt(squared);
  if (squared === 0) return 0;
  if (originalNorm === 0 || changedNorm === 0) return 1;
  return 1 - dot / Math.sqrt(originalNorm * changedNorm);
}
