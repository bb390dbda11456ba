import type { GraphContext } from "../context.ts";
import { decoderTensorNames } from "../tensor-names.ts";
import { softcap } from "./attention.ts";

/** The output matrix: the token embedding (tied) or a separate [vocab, hidden] matrix, by name. */
export type OutputMatrix = { tied: string } | { separate: string };

/**
 * The hidden states [batch, P, hidden] at `positions` (int64 [batch, P]) of `hidden`
 * [batch, seq, hidden], with GatherElements along the sequence axis. Attribution needs logits only
 * where there is a target, and the vocabulary projection is the largest product of a small model.
 */
export function gatherPositions(
  ctx: GraphContext,
  hidden: string,
  positions: string,
  hiddenSize: number,
): string {
  const indices = ctx.op("Expand", [
    ctx.op("Unsqueeze", [positions, ctx.ints([2])]),
    ctx.ints([1, 1, hiddenSize]),
  ]);
  return ctx.op("GatherElements", [hidden, indices], { axis: 1 });
}

/**
 * `logits` [batch, positions, vocab] from the final normalised hidden states. A tied output reads
 * the embedding table [vocab, hidden] through Gemm with `transB`, so the table is stored once (a
 * transposed copy would double the largest tensor of a small model); a separate matrix is stored
 * transposed for MatMul. With `finalSoftcap` (Gemma 2) the logits are `cap · tanh(z / cap)`.
 */
export function outputLogits(
  ctx: GraphContext,
  hidden: string,
  matrix: OutputMatrix,
  hiddenSize: number,
  finalSoftcap?: number,
): string {
  const name = decoderTensorNames.logits;
  const projected = finalSoftcap === undefined ? name : undefined;
  let logits: string;
  if ("separate" in matrix) {
    logits = ctx.op("MatMul", [hidden, ctx.weightTransposed(matrix.separate)], {}, projected);
  } else {
    const rows = ctx.op("Reshape", [hidden, ctx.ints([-1, hiddenSize])]);
    const flat = ctx.op("Gemm", [rows, ctx.weight(matrix.tied)], { transB: 1 });
    const leading = ctx.op("Shape", [hidden], { start: 0, end: 2 });
    const shape = ctx.op("Concat", [leading, ctx.ints([-1])], { axis: 0 });
    logits = ctx.op("Reshape", [flat, shape], {}, projected);
  }
  return finalSoftcap === undefined ? logits : softcap(ctx, logits, finalSoftcap, name);
}
