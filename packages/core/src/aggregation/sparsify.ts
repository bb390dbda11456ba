import { z } from "zod";
import { mapAttributionRows } from "./attribution-rows.ts";
import type { Aggregator } from "./types.ts";

const parameters = z
  .strictObject({
    topK: z.number().int().positive().optional().describe("Keep the k cells of largest |score| per step."),
    threshold: z.number().nonnegative().optional().describe("Keep the cells with |score| >= threshold."),
  })
  .refine((value) => value.topK !== undefined || value.threshold !== undefined, {
    message: "give `topK`, `threshold` or both",
  });

/** Parameters of {@link sparsify}. */
export type SparsifyParameters = z.infer<typeof parameters>;

/** Which of `values` survive: the top k by magnitude and/or those at or above the threshold. */
function keptMask(values: number[], { topK, threshold }: SparsifyParameters): boolean[] {
  const kept = values.map((value) => threshold === undefined || Math.abs(value) >= threshold);
  if (topK !== undefined && topK < values.length) {
    // A stable sort keeps ties in column order (source cells first), so the result is deterministic.
    const order = values.map((_, index) => index).sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!));
    for (const index of order.slice(topK)) kept[index] = false;
  }
  return kept;
}

/** Keeps per step the strongest cells, source and target prefix together; the rest become 0. */
export const sparsify: Aggregator<SparsifyParameters> = {
  id: "sparsify",
  kind: "sparsify",
  summary: "Keeps per step the top-k cells by |score| and/or those above a threshold; others become 0.",
  description:
    "For each target row, the source cells and target-prefix cells (u < t) compete together, as in input-output attribution (Usable XAI): with `topK` the k cells of largest |score| are kept (ties broken by column order, source before target), with `threshold` the cells with |score| >= threshold are kept; given both, a cell must pass both. Every other computed cell is set to 0, not null (it was computed and is deemed negligible); empty cells stay null. Apply it after `normalize` to make thresholds comparable across steps. Raw per-dimension tensors are left as they were. One of `topK` or `threshold` is required.",
  parameters,
  apply(sequence, options) {
    const matrices = mapAttributionRows(sequence, 'Aggregator "sparsify"', (values) => {
      const kept = keptMask(values, options);
      return values.map((value, index) => (kept[index] ? value : 0));
    });
    return { ...sequence, ...matrices };
  },
};
