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

/**
 * Wall time one model call should take at most, once calls are paced by what they took: under the
 * CLI's 2 s for Ctrl-C (a native call is not interrupted; the cancellation is seen after it).
 */
export const RESPONSIVE_CALL_MS = 1_200;

/** Paces the rows of successive model calls by the time the calls took ({@link createCallPacer}). */
export interface CallPacer {
  /** Rows for the next call. */
  rows(): number;
  /** Records that a call of `rows` rows took `ms` milliseconds. */
  record(rows: number, ms: number): void;
}

/**
 * Rows per call that start at `first` (the FLOP estimate of {@link responsiveRowsPerCall}, sized for
 * the slowest machines and the smallest models) and grow, at most doubling per call, while the
 * calls take less than {@link RESPONSIVE_CALL_MS}: the FLOP estimate alone put one 12-layer row per
 * call, four times slower than calls of many rows sharing one forward pass. Never below `first`,
 * never above `most` (what the memory budget holds); shrinks back toward `first` when a call ran
 * long. The split changes no result, only how many calls carry the rows.
 */
export function createCallPacer(first: number, most: number, targetMs = RESPONSIVE_CALL_MS): CallPacer {
  const floor = Math.max(1, Math.min(first, most));
  let next = floor;
  return {
    rows: () => next,
    record(rows, ms) {
      if (!(rows > 0) || !Number.isFinite(ms)) return;
      const fits = ms <= 0 ? 2 * rows : Math.floor((targetMs / ms) * rows);
      next = Math.max(floor, Math.min(most, 2 * rows, fits));
    },
  };
}
