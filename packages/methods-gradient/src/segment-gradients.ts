import type { MethodContext, MethodSequence } from "@tokenscope/core";
import type { PathEvaluation, PathPoint } from "./adaptive-path.ts";
import { forEachGradientRow } from "./gradient-rows.ts";
import { interpolated, type PathEnds } from "./integration-path.ts";

/**
 * Evaluates path rows of one sequence in one batched gradient call (split
 * only by the memory budget) and adds w · ∇f of every weighted row to
 * `segmentSums` under the row's segment, in row order. Returns, per row, f and
 * the derivative along the path (x − x′) · ∇f that adaptive refinement needs.
 * Rows carry the full input (source and target): the objective of step t reads
 * position source.length + t − 1 only, and a causal model's logits there cannot
 * depend on later positions, so interpolating those changes nothing (their
 * gradient is exactly zero). Equal-length rows let every step and point share
 * one call with no padding or attention mask; the price is computing the later
 * positions, at most twice the work of rows trimmed to each step's prefix.
 */
export async function evaluateSegments(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  ends: PathEnds,
  rows: readonly PathPoint[],
  segmentSums: Map<number, Float64Array>,
  phase: string,
): Promise<PathEvaluation> {
  const size = ends.difference.length;
  const seq = sequence.source.length + sequence.target.length;
  const values = new Float64Array(rows.length);
  const derivatives = new Float64Array(rows.length);
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: rows.map((row) => row.step),
      inputs: (start, end) => ({
        embeddings: { data: interpolated(ends, rows, start, end), dims: [end - start, seq, size / seq] },
      }),
      phase,
    },
    ({ row, gradient, value }) => {
      const { segment, weight } = rows[row]!;
      values[row] = value;
      if (weight === 0) return;
      let sum = segmentSums.get(segment);
      if (!sum) {
        sum = new Float64Array(size);
        segmentSums.set(segment, sum);
      }
      let derivative = 0;
      for (let i = 0; i < size; i++) {
        sum[i]! += weight * gradient[i]!;
        derivative += ends.difference[i]! * gradient[i]!;
      }
      derivatives[row] = derivative;
    },
  );
  return { derivatives, values };
}
