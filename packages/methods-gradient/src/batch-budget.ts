import {
  checkMemoryBudget,
  type MethodContext,
  type ModelInfo,
  responsiveRowsPerCall,
  rowsPerCall,
} from "@tokenscope/core";
import { contrastSizing } from "./contrast-rows.ts";

/**
 * Memory one batched gradient call may use when the caller sets no budget: 2 GiB of activations (the
 * weights come on top), the default issue 18 asks for; a row over it is recomputed, not refused.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 2 * 2 ** 30;

/**
 * An upper estimate of the bytes one batch row of `seq` tokens costs in a forward+backward pass on
 * a runtime such as onnxruntime: every layer's attention probabilities [heads, seq, seq] twice (kept
 * for the backward pass, and their gradient), three more score-sized tensors in flight in the
 * layer being differentiated (scores, softmax and its gradient), about 32 hidden-sized float32
 * vectors per layer and position (attention and MLP intermediates with their gradients), and the
 * row's logits and seeds. Measured on onnxruntime-node's CPU provider (peak resident memory growth
 * per row above a loaded, warmed-up model, 128–1000 tokens, stories260K, a random Llama and a
 * random GPT-2 with 16 heads; methods-perturbation's bench/memory-budget.bench.ts): at most 0.77
 * of this estimate, so a budget that holds the estimate holds the call.
 */
export function estimateRowBytes(info: ModelInfo, seq: number): number {
  const heads = Math.max(1, info.numHeads);
  const perPosition = info.numLayers * (32 * info.hiddenSize + 2 * heads * seq) + 3 * heads * seq;
  return 4 * seq * perPosition + 8 * info.vocabSize;
}

/**
 * An upper estimate of one batch row of `seq` tokens when the model recomputes each layer's
 * activations in the backward pass (`recompute: true`, capability `gradients.recompute`): every
 * layer's input kept (the checkpoints), two layers' worth of the activations {@link estimateRowBytes}
 * counts per layer (the layer recomputed and the one whose backward is in flight), the score-sized
 * tensors of one layer's backward, and the row's logits and seeds. Independent of the depth but for
 * the checkpoints: on the 135M-shaped llama (30 layers) a 1013-token row is estimated at 456 MiB
 * instead of 4.2 GiB. Measured as for {@link estimateRowBytes} (methods-perturbation's
 * bench/memory-budget.bench.ts, kind gradient-recompute): at most 0.69 of this estimate.
 */
export function estimateRecomputeRowBytes(info: ModelInfo, seq: number): number {
  const heads = Math.max(1, info.numHeads);
  const perPosition =
    info.numLayers * info.hiddenSize + 2 * (32 * info.hiddenSize + 2 * heads * seq) + 3 * heads * seq;
  return 4 * seq * perPosition + 8 * info.vocabSize;
}

/** How gradient calls of one run are sized: rows per call, and whether layers are recomputed. */
export interface GradientCallPlan {
  /** Attributed rows of the first `model.gradients` call (the budget's and the FLOP estimate's least). */
  rows: number;
  /** The most rows one call may carry: what the memory budget holds (calls grow toward it when fast). */
  mostRows: number;
  /** Ask the model to recompute layer activations in the backward pass (`GradientRequest.recompute`). */
  recompute: boolean;
}

/**
 * The bytes one item (a row, or a row and its contrast row) of `seq` tokens needs: held activations
 * when they fit the budget (the default's, or the caller's), else recomputed ones where the model can
 * recompute and recomputing holds less; otherwise the held estimate.
 */
function itemPlan(
  info: ModelInfo,
  canRecompute: boolean,
  seq: number,
  rowsPerItem: number,
  budgetBytes: number | undefined,
): { recompute: boolean; itemBytes: number } {
  const held = rowsPerItem * estimateRowBytes(info, seq);
  const recomputed = rowsPerItem * estimateRecomputeRowBytes(info, seq);
  // A shallow model holds less than two layers' worth: recomputing would not save anything.
  if (!canRecompute || recomputed >= held || held <= (budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES)) {
    return { recompute: false, itemBytes: held };
  }
  return { recompute: true, itemBytes: recomputed };
}

/**
 * How many rows of `seq` tokens fit one gradient call under `budgetBytes`: without a budget, as
 * many as {@link DEFAULT_MEMORY_BUDGET_BYTES} holds and at least one (a default is a batching
 * choice, not a limit the caller set); with one, as many as it holds, and a row that does not fit
 * throws `INVALID_INPUT` instead of running over it.
 */
export function gradientRowsPerCall(info: ModelInfo, seq: number, budgetBytes?: number): number {
  return itemsPerCall(estimateRowBytes(info, seq), budgetBytes);
}

/** Items of `itemBytes` each per call, as {@link gradientRowsPerCall} counts rows. */
function itemsPerCall(itemBytes: number, budgetBytes: number | undefined): number {
  if (budgetBytes === undefined) return Math.max(1, Math.floor(DEFAULT_MEMORY_BUDGET_BYTES / itemBytes));
  return rowsPerCall(itemBytes, Number.MAX_SAFE_INTEGER, budgetBytes);
}

/**
 * Refuses, before any gradient call, a run whose longest sequence needs more than the context's
 * memory budget for one gradient row; the message names the smallest budget that works. Every
 * sequence of the run is checked at once, so a run never stops half way through its sequences.
 * Rows are split by count only, never along the sequence: one row of the longest sequence is the
 * least a gradient call can carry. In a contrastive run whose contrast input shares the prompt, that
 * least is a row and its contrast row (contrast-rows.ts), as long as the longer of the two.
 */
export function checkGradientBudget(context: MethodContext<unknown>, methodId: string): void {
  const longest = Math.max(
    0,
    ...context.sequences.map((sequence) => sequence.source.length + sequence.target.length),
  );
  const { info } = context.model;
  const canRecompute = context.model.capabilities.has("gradients.recompute");
  const budget = context.memoryBudgetBytes;
  let row = `one gradient row of ${longest} tokens`;
  let rowBytes = itemPlan(info, canRecompute, longest, 1, budget).itemBytes;
  for (const sequence of context.sequences) {
    const { length, rowsPerItem } = contrastSizing(context, sequence, sequence.steps);
    const itemBytes = itemPlan(info, canRecompute, length, rowsPerItem, budget).itemBytes;
    if (itemBytes <= rowBytes) continue;
    rowBytes = itemBytes;
    row =
      rowsPerItem === 2
        ? `one gradient row and its contrast row, ${length} tokens each`
        : `one gradient row of ${length} tokens`;
  }
  checkMemoryBudget({ method: methodId, row, rowBytes, budgetBytes: context.memoryBudgetBytes });
}

/**
 * How the gradient calls for rows of `seq` tokens that each bring `rowsPerItem` batch rows (2 with a
 * contrast row) run: when one row's held activations exceed the memory budget (the caller's, or the
 * default one) and the model can recompute them, the calls ask it to (about one more forward pass,
 * a fraction of the memory); rows per call are what the budget allows (after
 * {@link checkGradientBudget} for the run's longest sequence), and fewer where one call would hold
 * the event loop for long (Ctrl-C is only seen between calls).
 */
export function gradientCallPlan(
  context: MethodContext<unknown>,
  methodId: string,
  seq: number,
  rowsPerItem: 1 | 2 = 1,
): GradientCallPlan {
  checkGradientBudget(context, methodId);
  const { info } = context.model;
  const canRecompute = context.model.capabilities.has("gradients.recompute");
  const { recompute, itemBytes } = itemPlan(info, canRecompute, seq, rowsPerItem, context.memoryBudgetBytes);
  const byBudget = itemsPerCall(itemBytes, context.memoryBudgetBytes);
  const responsive = Math.max(1, Math.floor(responsiveRowsPerCall(info, seq, "gradient") / rowsPerItem));
  return { rows: Math.min(byBudget, responsive), mostRows: byBudget, recompute };
}

/** Attributed rows per gradient call: {@link gradientCallPlan}'s `rows`. */
export function gradientCallRows(
  context: MethodContext<unknown>,
  methodId: string,
  seq: number,
  rowsPerItem: 1 | 2 = 1,
): number {
  return gradientCallPlan(context, methodId, seq, rowsPerItem).rows;
}
