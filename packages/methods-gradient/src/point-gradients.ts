import type { MethodContext, MethodSequence, TensorData } from "@tokenscope/core";
import { forEachGradientRow } from "./gradient-rows.ts";

/** One batch row: the gradient of step `step`'s objective at the embeddings `point` [seq, hidden]. */
export interface PointRow {
  step: number;
  /** Input embeddings of the row; rows may share one array (e.g. every step of one noise sample). */
  point: Float64Array;
}

/**
 * Evaluates the gradients of rows at arbitrary embedding points (noise
 * samples, random baselines and interpolation points) of one sequence in as
 * few `model.gradients` calls as the memory budget allows, handing each to
 * `consume` without keeping it.
 */
export async function forEachPointGradient(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  rows: readonly PointRow[],
  float32: boolean,
  phase: string,
  consume: (row: number, gradient: TensorData, value: number) => void,
): Promise<void> {
  const seq = sequence.source.length + sequence.target.length;
  const size = rows[0]?.point.length ?? 0;
  await forEachGradientRow(
    context,
    sequence,
    {
      steps: rows.map((row) => row.step),
      inputs: (start, end) => {
        // Same element type as the model's own embeddings, so a float32 model is fed float32.
        const data = float32
          ? new Float32Array((end - start) * size)
          : new Float64Array((end - start) * size);
        for (let index = start; index < end; index++) data.set(rows[index]!.point, (index - start) * size);
        return { embeddings: { data, dims: [end - start, seq, size / seq] } };
      },
      phase,
    },
    ({ row, gradient, value }) => consume(row, gradient, value),
  );
}
