import { makeDimensionReducer } from "./dimension-reducer.ts";

/** Signed mean of each cell's per-dimension vector. */
export const mean = makeDimensionReducer(
  "mean",
  "Signed mean over the embedding dimensions.",
  "score = (1/D) sum_d x_d: the signed sum divided by the number of dimensions.",
  (vector) => {
    let total = 0;
    for (const value of vector) total += value;
    return total / vector.length;
  },
);
