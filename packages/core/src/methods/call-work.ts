import type { ModelInfo } from "../model/language-model.ts";

/**
 * Most floating-point operations one model call may take. A runtime call is synchronous native
 * work (onnxruntime-node runs on the main thread): nothing, Ctrl-C included, is seen until it
 * returns. About a quarter of a second on one busy CPU core (measured: stories260K's gradient rows
 * of 25 tokens run at about 11 GFLOP/s on two shared cores), so that a cancelled run stops within
 * the CLI's grace period; calls this size still amortise the runtime's per-call cost.
 */
export const RESPONSIVE_CALL_FLOPS = 3e9;

/**
 * Estimated floating-point operations of one row of `seq` tokens: the projections and MLP of every
 * layer (12·hidden² weights, two operations each, per token), attention over the sequence, and the
 * language-model head at one position; a gradient pass costs about three forward passes.
 */
export function rowFlops(info: ModelInfo, seq: number, pass: "forward" | "gradient"): number {
  const layers = info.numLayers;
  const hidden = info.hiddenSize;
  const perToken = 2 * 12 * layers * hidden * hidden + 4 * layers * seq * hidden;
  const forward = seq * perToken + 2 * info.vocabSize * hidden;
  return pass === "forward" ? forward : 3 * forward;
}

/**
 * Rows of `seq` tokens per model call that keep one call within {@link RESPONSIVE_CALL_FLOPS} (at
 * least one: a row cannot be split here). Methods take the smaller of this and what their memory
 * budget and batch size allow; the split changes no result, only how many calls carry the rows.
 */
export function responsiveRowsPerCall(info: ModelInfo, seq: number, pass: "forward" | "gradient"): number {
  return Math.max(1, Math.floor(RESPONSIVE_CALL_FLOPS / rowFlops(info, seq, pass)));
}
