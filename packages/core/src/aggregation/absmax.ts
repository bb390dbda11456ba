import { makeDimensionReducer } from "./dimension-reducer.ts";

/** The signed component of largest magnitude of each cell's per-dimension vector. */
export const absmax = makeDimensionReducer(
  "absmax",
  "Signed value of largest magnitude over the embedding dimensions.",
  "score = x_k with k = argmax_d |x_d| (the first such component on ties): as strong as the strongest dimension, with its sign.",
  (vector) => {
    let best = 0;
    for (const value of vector) if (Math.abs(value) > Math.abs(best)) best = value;
    return best;
  },
);
