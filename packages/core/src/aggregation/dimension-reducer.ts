import { z } from "zod";
import { TokenscopeError } from "../errors/index.ts";
import { assertRawShape } from "../result/sequence-shape.ts";
import type { AttributionMatrix, RawAttributions, SequenceAttribution } from "../result/types.ts";
import type { Aggregator } from "./types.ts";

/** Reduces one cell's per-dimension vector (no NaN in it) to one score. */
export type VectorReduction = (vector: Float64Array) => number;

/**
 * Reduces raw [rows, columns, dims] attributions over the last axis. A cell
 * whose vector holds any NaN is empty (null): NaN marks cells that were not
 * computed. With `causal`, cells at column >= row are null whatever the raw
 * tensor holds, as target-prefix cells at or after their own step must be.
 */
export function reduceRawAttributions(
  raw: RawAttributions,
  reduce: VectorReduction,
  causal = false,
): AttributionMatrix {
  const [rows, columns, dims] = raw.dims;
  const vector = new Float64Array(dims);
  const matrix: AttributionMatrix = [];
  for (let row = 0; row < rows; row++) {
    const cells: (number | null)[] = [];
    for (let column = 0; column < columns; column++) {
      const offset = (row * columns + column) * dims;
      let empty = causal && column >= row;
      for (let d = 0; d < dims && !empty; d++) {
        const value = raw.data[offset + d]!;
        if (Number.isNaN(value)) empty = true;
        vector[d] = value;
      }
      cells.push(empty ? null : reduce(vector));
    }
    matrix.push(cells);
  }
  return matrix;
}

/** Dimension reducers take no parameters; unknown ones are refused rather than ignored. */
const noParameters = z.strictObject({});

/** The (empty) parameters of a dimension reducer. */
export type NoParameters = z.infer<typeof noParameters>;

/**
 * Makes a "dimension" aggregator from a vector reduction: it fills the score
 * matrices from `rawSourceAttributions` (and `rawTargetAttributions` when
 * present) and keeps the raw tensors, so a later reducer can start again.
 */
export function makeDimensionReducer(
  id: string,
  summary: string,
  details: string,
  reduce: VectorReduction,
): Aggregator<NoParameters> {
  return {
    id,
    kind: "dimension",
    summary,
    description: `${summary} ${details} Reads \`rawSourceAttributions\` [targets, sources, dims] (and \`rawTargetAttributions\` when present) and overwrites the score matrices; a cell with any NaN component is empty (null), and target-prefix cells at or after their own step stay null. The raw tensors are kept, so aggregation stays reversible: apply another reducer to start again from the raw values. Without raw tensors it throws INVALID_INPUT. Takes no parameters.`,
    parameters: noParameters,
    apply(sequence: SequenceAttribution): SequenceAttribution {
      const owner = `Aggregator "${id}"`;
      const rawSource = sequence.rawSourceAttributions;
      if (!rawSource) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `${owner} needs per-dimension attributions, but the sequence has no rawSourceAttributions.`,
          {
            hint: "Ask the attribution to keep raw per-dimension attributions, or leave out dimension reducers: this sequence already holds one score per token.",
            details: { aggregator: id },
          },
        );
      }
      const targets = sequence.target.length;
      assertRawShape(rawSource, targets, sequence.source.length, "rawSourceAttributions", owner);
      const rawTarget = sequence.rawTargetAttributions;
      if (rawTarget) assertRawShape(rawTarget, targets, targets, "rawTargetAttributions", owner);
      return {
        ...sequence,
        sourceAttributions: reduceRawAttributions(rawSource, reduce),
        targetAttributions: rawTarget
          ? reduceRawAttributions(rawTarget, reduce, true)
          : (sequence.targetAttributions?.map((row) => [...row]) ?? null),
      };
    },
  };
}
