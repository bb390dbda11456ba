import { z } from "zod";
import { mapAttributionRows } from "./attribution-rows.ts";
import type { Aggregator } from "./types.ts";

const parameters = z.strictObject({});

/** Parameters of {@link normalize} (none). */
export type NormalizeParameters = z.infer<typeof parameters>;

/**
 * Per-step L1 normalisation: each target row, source and target-prefix cells
 * together, is divided by the sum of its absolute scores.
 */
export const normalize: Aggregator<NormalizeParameters> = {
  id: "normalize",
  kind: "normalize",
  summary: "Per-step L1 normalisation over source and target-prefix cells: |scores| of each step sum to 1.",
  description:
    "Divides every non-null cell of a target row by the sum of |cells| of that row across BOTH matrices (source cells and target-prefix cells u < t), as Inseq does for input-output attribution, so each step's absolute scores sum to 1 and steps become comparable. Signs are kept. Empty cells stay null; a row whose cells are all zero stays zero. Raw per-dimension tensors are left as they were. Takes no parameters.",
  parameters,
  apply(sequence) {
    const matrices = mapAttributionRows(sequence, 'Aggregator "normalize"', (values) => {
      let total = 0;
      for (const value of values) total += Math.abs(value);
      return total === 0 ? values : values.map((value) => value / total);
    });
    return { ...sequence, ...matrices };
  },
};
