import type { MethodContext, MethodSequence, TensorData } from "@tokenscope/core";
import { forEachGradientRow } from "./gradient-rows.ts";

/**
 * Batch rows at arbitrary embedding points, described rather than listed: a run of 100,000 noise
 * samples must not hold 100,000 inputs [seq, hidden] at once, so each row's point is asked for
 * only when its batch is built.
 */
export interface PointRows {
  count: number;
  /** The target step of row `index`. */
  stepOf(index: number): number;
  /** Input embeddings [seq, hidden] of row `index`; asked in increasing order, each row once. */
  pointOf(index: number): Float64Array;
}

/**
 * Evaluates the gradients of rows at arbitrary embedding points (noise
 * samples, random baselines and interpolation points) of one sequence in as
 * few `model.gradients` calls as the memory budget allows, handing each to
 * `consume` (in row order) without keeping it.
 */
export async function forEachPointGradient(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  rows: PointRows,
  float32: boolean,
  phase: string,
  consume: (row: number, gradient: TensorData, value: number) => void,
): Promise<void> {
  const seq = sequence.source.length + sequence.target.length;
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: Array.from({ length: rows.count }, (_, index) => rows.stepOf(index)),
      inputs: (start, end) => {
        let data: Float32Array | Float64Array | undefined;
        for (let index = start; index < end; index++) {
          const point = rows.pointOf(index);
          // Same element type as the model's own embeddings, so a float32 model is fed float32.
          data ??= float32
            ? new Float32Array((end - start) * point.length)
            : new Float64Array((end - start) * point.length);
          data.set(point, (index - start) * point.length);
        }
        const size = data!.length / (end - start);
        return { embeddings: { data: data!, dims: [end - start, seq, size / seq] } };
      },
      phase,
    },
    ({ row, gradient, value }) => consume(row, gradient, value),
  );
}
