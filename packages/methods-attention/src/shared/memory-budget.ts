import { checkMemoryBudget, type MethodContext, type ModelInfo } from "@tokenscope/core";

/**
 * Estimated bytes of one attention-tap forward row of `length` tokens: the tapped maps
 * [heads, length, length] float32 of `tappedLayers` layers three times (the runtime's outputs, the
 * copies the model hands over, and what the method derives from them), the working set of the
 * layer being computed (five score-sized tensors and 24 hidden-sized vectors per token), and its
 * input and one position's logits. Measured on onnxruntime-node's CPU provider (peak resident
 * memory growth above a loaded, warmed-up model, 128–1000 tokens, stories260K, a random Llama and a
 * random GPT-2 with 16 heads, every layer tapped; methods-perturbation's
 * bench/memory-budget.bench.ts): at most 0.66 of this.
 */
export function attentionRowBytes(info: ModelInfo, length: number, tappedLayers: number): number {
  const heads = Math.max(1, info.numHeads);
  const maps = 3 * tappedLayers * 4 * heads * length * length;
  const layer = 4 * length * (24 * info.hiddenSize + 5 * heads * length);
  return maps + layer + 8 * length + 8 * info.vocabSize;
}

/**
 * Refuses, before any model call, a run whose longest sequence needs more than the context's
 * memory budget for its one forward row with attention taps (`INVALID_INPUT`, naming the smallest
 * budget that works). Every attention method sends one row per sequence, and a row is never split
 * along the sequence, so that row is the least a call can carry.
 */
export function checkAttentionBudget(
  context: MethodContext<unknown>,
  tappedLayers: number,
  methodId: string,
): void {
  const longest = Math.max(
    0,
    ...context.sequences.map((sequence) => sequence.source.length + sequence.target.length),
  );
  checkMemoryBudget({
    method: methodId,
    row: `one attention row of ${longest} tokens (${tappedLayers} tapped ${tappedLayers === 1 ? "layer" : "layers"})`,
    rowBytes: attentionRowBytes(context.model.info, longest, tappedLayers),
    budgetBytes: context.memoryBudgetBytes,
  });
}
