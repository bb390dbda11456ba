import type { ModelInfo } from "@tokenscope/core";

/** What one row of a forward call holds, for {@link rowsWithinBudget}. */
export interface RowShape {
  /** Tokens in the row. */
  length: number;
  /** Positions whose logits are returned. */
  logitPositions: number;
  /** Whether the row is sent as input embeddings. */
  embeddings: boolean;
}

/**
 * Estimated bytes one row takes in a forward call, in float32: its input
 * (ids, or embeddings), the returned logits, and the working set of one
 * transformer layer (about 16 hidden-sized vectors per token plus one row of
 * attention scores per head), since a runtime frees a layer's intermediates
 * before the next. An estimate from `ModelInfo`, not a measurement.
 */
export function rowBytes(info: ModelInfo, shape: RowShape): number {
  const input = shape.embeddings ? 4 * shape.length * info.hiddenSize : 8 * shape.length;
  const logits = 4 * shape.logitPositions * info.vocabSize;
  const layer = 4 * shape.length * (16 * info.hiddenSize + Math.max(1, info.numHeads) * shape.length);
  return input + logits + layer;
}

/**
 * Rows per forward call: `batchSize`, lowered so that rows of `shape` stay
 * under `memoryBudgetBytes` when a budget is given (at least one row).
 */
export function rowsWithinBudget(
  info: ModelInfo,
  shape: RowShape,
  batchSize: number,
  memoryBudgetBytes: number | undefined,
): number {
  if (memoryBudgetBytes === undefined) return batchSize;
  return Math.max(1, Math.min(batchSize, Math.floor(memoryBudgetBytes / rowBytes(info, shape))));
}
