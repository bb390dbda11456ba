import { makeDimensionReducer } from "./dimension-reducer.ts";

/** Largest (signed) component of each cell's per-dimension vector. */
export const max = makeDimensionReducer(
  "max",
  "Largest signed component over the embedding dimensions.",
  "score = max_d x_d (signed: a vector of negative values gives a negative score; see `absmax` for the largest magnitude).",
  (vector) => {
    let largest = Number.NEGATIVE_INFINITY;
    for (const value of vector) largest = Math.max(largest, value);
    return largest;
  },
);
