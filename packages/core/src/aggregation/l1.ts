import { makeDimensionReducer } from "./dimension-reducer.ts";

/** L1 norm of each cell's per-dimension vector. */
export const l1 = makeDimensionReducer(
  "l1",
  "L1 norm over the embedding dimensions: one non-negative score per token.",
  "score = sum_d |x_d|.",
  (vector) => {
    let total = 0;
    for (const value of vector) total += Math.abs(value);
    return total;
  },
);
