import { checkMemoryBudget, type ModelInfo, rowsPerCall } from "@tokenscope/core";

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
 * Estimated bytes one row takes in a forward call, float32: its input (ids, or embeddings, held in
 * JavaScript and by the runtime), the returned logits (the runtime's output and its copy), and the
 * working set of the layer being computed, since a runtime frees a layer's intermediates before the
 * next: five attention-score-sized tensors [heads, length, length] (scores, mask, masked scores,
 * probabilities, and one more that value zeroing's masks need) and 24 hidden-sized vectors per
 * token. Measured on onnxruntime-node's CPU provider (peak resident memory growth per row above a
 * loaded, warmed-up model, 128–1000 tokens, stories260K, a random Llama and a random GPT-2 with 16
 * heads; bench/memory-budget.bench.ts): at most 0.65 of this for a plain forward row and 0.81 for a
 * value-zeroing row, so a budget that holds the estimate holds the call.
 */
export function rowBytes(info: ModelInfo, shape: RowShape): number {
  const heads = Math.max(1, info.numHeads);
  const input = shape.embeddings ? 8 * shape.length * info.hiddenSize : 8 * shape.length;
  const logits = 8 * shape.logitPositions * info.vocabSize;
  const layer = 4 * shape.length * (24 * info.hiddenSize + 5 * heads * shape.length);
  return input + logits + layer;
}

/**
 * Estimated bytes of one value-zeroing row of `length` tokens: a forward row reading one position
 * ({@link rowBytes}) and the residual stream it returns after each of `tappedLayers` layers.
 */
export function valueZeroingRowBytes(info: ModelInfo, length: number, tappedLayers: number): number {
  const residuals = 8 * tappedLayers * length * info.hiddenSize;
  return rowBytes(info, { length, logitPositions: 1, embeddings: false }) + residuals;
}

/** Describes a row for the budget's message: `one forward row of 485 tokens`. */
function rowText(kind: string, length: number): string {
  return `one ${kind} row of ${length} tokens`;
}

/**
 * Refuses, before any model call, a run whose longest forward row (`shape`) needs more than
 * `memoryBudgetBytes`, naming the smallest budget that works (`INVALID_INPUT`). Rows are split by
 * count only, never along the sequence: one row is the least a forward call can carry.
 */
export function checkForwardBudget(
  method: string | undefined,
  info: ModelInfo,
  shape: RowShape,
  memoryBudgetBytes: number | undefined,
  bytes = rowBytes(info, shape),
): void {
  checkMemoryBudget({
    ...(method === undefined ? {} : { method }),
    row: rowText("forward", shape.length),
    rowBytes: bytes,
    budgetBytes: memoryBudgetBytes,
  });
}

/**
 * Rows per forward call: `batchSize`, lowered so that rows of `shape` stay under
 * `memoryBudgetBytes` when a budget is given. A row that does not fit throws `INVALID_INPUT`
 * naming `method` and the smallest budget that works; it is never sent over the budget.
 */
export function rowsWithinBudget(
  info: ModelInfo,
  shape: RowShape,
  batchSize: number,
  memoryBudgetBytes: number | undefined,
  method?: string,
  bytes = rowBytes(info, shape),
): number {
  checkForwardBudget(method, info, shape, memoryBudgetBytes, bytes);
  return rowsPerCall(bytes, batchSize, memoryBudgetBytes);
}
