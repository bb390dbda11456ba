import type { TensorData } from "@tokenscope/core";

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
