import { z } from "zod";

/** How several attention weights (over heads or layers) become one. */
export const aggregationSchema = z.enum(["mean", "max", "min", "absmax"]);

/** One of {@link aggregationSchema}'s reductions. */
export type Aggregation = z.output<typeof aggregationSchema>;

/**
 * Reduces `values` with `aggregation`; "absmax" keeps the value of largest
 * magnitude with its sign (attention weights are non-negative, so it equals
 * max on them, but summaries of signed quantities keep the sign).
 */
export function aggregate(values: ArrayLike<number>, aggregation: Aggregation): number {
  const count = values.length;
  if (count === 0) return Number.NaN;
  let result = values[0]!;
  for (let index = 1; index < count; index++) {
    const value = values[index]!;
    if (aggregation === "mean") result += value;
    else if (aggregation === "max") result = Math.max(result, value);
    else if (aggregation === "min") result = Math.min(result, value);
    else if (Math.abs(value) > Math.abs(result)) result = value;
  }
  return aggregation === "mean" ? result / count : result;
}
