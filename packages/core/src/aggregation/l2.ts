import { makeDimensionReducer } from "./dimension-reducer.ts";

/** L2 norm of each cell's per-dimension vector (Inseq's default for gradient methods). */
export const l2 = makeDimensionReducer(
  "l2",
  "L2 norm over the embedding dimensions: one non-negative score per token.",
  "score = sqrt(sum_d x_d^2). Loses the sign: use `sum` for signed scores.",
  (vector) => {
    // Scaling by the largest magnitude keeps squares of large or tiny values in range.
    let scale = 0;
    for (const value of vector) scale = Math.max(scale, Math.abs(value));
    if (scale === 0 || !Number.isFinite(scale)) return scale;
    let squares = 0;
    for (const value of vector) squares += (value / scale) ** 2;
    return scale * Math.sqrt(squares);
  },
);
