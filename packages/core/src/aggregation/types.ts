import type { SequenceAttribution } from "../result/types.ts";
import type { ParameterSchema } from "../schema/parameters.ts";

/**
 * An aggregator: a pure transform of one sequence's attribution. Aggregators
 * compose (`aggregate(result, [...steps])`) and never modify their input.
 *
 * - "dimension": reduces raw per-dimension attributions to one score per cell;
 * - "normalize": rescales scores (per-step normalisation, rescaling);
 * - "units": merges tokens into words, spans or sentences;
 * - "sparsify": keeps only the strongest cells.
 */
export interface Aggregator<P = Record<string, unknown>> {
  id: string;
  kind: "dimension" | "normalize" | "units" | "sparsify" | (string & {});
  summary: string;
  description: string;
  parameters: ParameterSchema<P>;
  apply(sequence: SequenceAttribution, parameters: P): SequenceAttribution;
}
