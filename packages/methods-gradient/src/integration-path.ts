import type { MethodContext, MethodSequence, TensorData } from "@tokenscope/core";
import { forEachGradientRow } from "./gradient-rows.ts";

/** One batch row on the straight path from the baseline x′ to the input x: x′ + α (x − x′). */
export interface PathRow {
  step: number;
  alpha: number;
  /** Quadrature weight; 0 for rows evaluated only for their value (the path's end points). */
  weight: number;
}

/** The input, baseline and their difference of one sequence, all [seq, hidden]. */
export interface PathEnds {
  input: TensorData;
  baseline: Float64Array;
  difference: Float64Array;
}

/** What {@link integratePath} returns: per step, Σ w_k ∇f(x′ + α_k (x − x′)), and each row's value. */
export interface PathIntegral {
  gradientSums: Map<number, Float64Array>;
  values: Float64Array;
}

/** x′ + α (x − x′) for rows [start, end) [rows, seq, hidden], in the element type of the input. */
export function interpolated(
  ends: PathEnds,
  rows: readonly { alpha: number }[],
  start: number,
  end: number,
): TensorData {
  const size = ends.difference.length;
  // Same element type as the model's own embeddings, so a float32 model is fed float32.
  const data =
    ends.input instanceof Float32Array
      ? new Float32Array((end - start) * size)
      : new Float64Array((end - start) * size);
  for (let index = start; index < end; index++) {
    const { alpha } = rows[index]!;
    const offset = (index - start) * size;
    for (let i = 0; i < size; i++) data[offset + i] = ends.baseline[i]! + alpha * ends.difference[i]!;
  }
  return data;
}

/**
 * Evaluates the gradients of every path row of one sequence and sums them per
 * step with their weights. Rows carry the full input (source and target):
 * the objective of step t reads position source.length + t − 1 only, and a
 * causal model's logits there cannot depend on later positions, so interpolating
 * those changes nothing (their gradient is exactly zero). Equal-length rows let
 * every step and every point of a sequence share ONE batched gradient call,
 * split only by the memory budget, with no padding or attention mask; the
 * price is computing the later positions, at most twice the work of rows
 * trimmed to each step's prefix.
 */
export async function integratePath(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  ends: PathEnds,
  rows: readonly PathRow[],
  phase: string,
): Promise<PathIntegral> {
  const size = ends.difference.length;
  const seq = sequence.source.length + sequence.target.length;
  const gradientSums = new Map<number, Float64Array>();
  const values = new Float64Array(rows.length);
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
      const { step, weight } = rows[row]!;
      values[row] = value;
      if (weight === 0) return;
      let sum = gradientSums.get(step);
      if (!sum) {
        sum = new Float64Array(size);
        gradientSums.set(step, sum);
      }
      for (let i = 0; i < size; i++) sum[i]! += weight * gradient[i]!;
    },
  );
  return { gradientSums, values };
}
