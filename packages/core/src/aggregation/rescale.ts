import { z } from "zod";
import { mapAttributionRows, rowValues } from "./attribution-rows.ts";
import type { Aggregator } from "./types.ts";

const parameters = z.strictObject({
  per: z
    .enum(["sequence", "step"])
    .default("sequence")
    .describe('"sequence": one scale for the whole sequence; "step": one scale per target row.'),
});

/** Parameters of {@link rescale}. */
export type RescaleParameters = z.infer<typeof parameters>;

function largestMagnitude(values: number[]): number {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  return largest;
}

/** Scales scores so the largest |score| is 1, over the sequence or per step. */
export const rescale: Aggregator<RescaleParameters> = {
  id: "rescale",
  kind: "normalize",
  summary: "Scales scores so that the largest |score| is 1 (per sequence or per step).",
  description:
    'Divides every non-null cell by the largest |cell| over the whole sequence (`per: "sequence"`, the default: keeps the relative strength of steps, which suits heatmaps) or over each target row, source and target-prefix cells together (`per: "step"`). Signs and ratios within the scaled block are kept. Empty cells stay null; an all-zero block stays zero. Raw per-dimension tensors are left as they were.',
  parameters,
  apply(sequence, { per }) {
    let sequenceScale = 0;
    if (per === "sequence") {
      sequence.target.forEach((_, t) => {
        sequenceScale = Math.max(sequenceScale, largestMagnitude(rowValues(sequence, t)));
      });
    }
    const matrices = mapAttributionRows(sequence, 'Aggregator "rescale"', (values) => {
      const scale = per === "sequence" ? sequenceScale : largestMagnitude(values);
      return scale === 0 ? values : values.map((value) => value / scale);
    });
    return { ...sequence, ...matrices };
  },
};
