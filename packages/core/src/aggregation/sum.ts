import { makeDimensionReducer } from "./dimension-reducer.ts";

/** Signed sum of each cell's per-dimension vector (input x gradient as a scalar). */
export const sum = makeDimensionReducer(
  "sum",
  "Signed sum over the embedding dimensions: keeps whether a token pushed the prediction up or down.",
  "score = sum_d x_d. For input x gradient this is the first-order (Taylor) contribution of the token.",
  (vector) => {
    let total = 0;
    for (const value of vector) total += value;
    return total;
  },
);
