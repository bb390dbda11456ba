import type { ModelInfo } from "@tokenscope/core";

/** Memory one batched gradient call may use when the caller sets no budget (1 GiB). */
export const DEFAULT_MEMORY_BUDGET_BYTES = 2 ** 30;

/**
 * A coarse estimate of the bytes one batch row of `seq` tokens costs in a
 * forward+backward pass: float32 activations kept for the backward pass
 * (about 24 hidden-sized vectors per layer and position: attention and MLP
 * intermediates with their gradients), attention probabilities (heads × seq
 * per position and layer, twice), and the row's logits and seeds.
 */
export function estimateRowBytes(info: ModelInfo, seq: number): number {
  const perPosition = info.numLayers * (24 * info.hiddenSize + 2 * info.numHeads * seq) + 4 * info.hiddenSize;
  return 4 * seq * perPosition + 8 * info.vocabSize;
}

/** How many rows of `seq` tokens fit one gradient call under `budgetBytes` (at least 1). */
export function rowsPerCall(info: ModelInfo, seq: number, budgetBytes = DEFAULT_MEMORY_BUDGET_BYTES): number {
  return Math.max(1, Math.floor(budgetBytes / estimateRowBytes(info, seq)));
}
