import { z } from "zod";
import { TokenscopeError } from "../errors/index.ts";
import {
  mergeUnits,
  type UnitGroups,
  unitMergingDescription,
  unitReductionParameters,
} from "./merge-units.ts";
import type { Aggregator } from "./types.ts";

const range = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

const parameters = z.strictObject({
  source: z.array(range).default([]).describe("Half-open [start, end) source token index ranges to merge."),
  target: z.array(range).default([]).describe("Half-open [start, end) target token index ranges to merge."),
  ...unitReductionParameters,
});

/** Parameters of {@link spans}. */
export type SpansParameters = z.infer<typeof parameters>;

function badRange(side: string, bad: [number, number], problem: string, length: number): never {
  throw new TokenscopeError(
    "INVALID_INPUT",
    `Aggregator "spans": ${side} range [${bad[0]}, ${bad[1]}) ${problem}.`,
    {
      hint: `Give half-open, non-overlapping [start, end) token index ranges with start < end <= ${length}.`,
      details: { side, range: bad, length },
    },
  );
}

/**
 * Turns half-open token index ranges into a partition of `length` tokens:
 * each range is one unit, every token outside the ranges its own unit.
 * Throws `INVALID_INPUT` naming the first empty, out-of-bounds or overlapping range.
 */
export function rangeGroups(ranges: readonly [number, number][], length: number, side: string): UnitGroups {
  for (const bad of ranges) {
    if (bad[0] >= bad[1]) badRange(side, bad, "is empty", length);
    if (bad[1] > length) badRange(side, bad, `is out of bounds (${length} tokens)`, length);
  }
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  sorted.forEach((current, index) => {
    const previous = sorted[index - 1];
    if (previous && current[0] < previous[1]) {
      badRange(side, current, `overlaps [${previous[0]}, ${previous[1]})`, length);
    }
  });
  const groups: UnitGroups = [];
  let next = 0;
  for (const [start, end] of sorted) {
    for (; next < start; next++) groups.push([next]);
    groups.push(Array.from({ length: end - start }, (_, offset) => start + offset));
    next = end;
  }
  for (; next < length; next++) groups.push([next]);
  return groups;
}

/** Merges user-given token index ranges of the source and of the target. */
export const spans: Aggregator<SpansParameters> = {
  id: "spans",
  kind: "units",
  summary: "Merges user-given token index ranges (e.g. retrieved passages, named entities) into units.",
  description: `Merges the half-open token index ranges \`source\` and \`target\` ([start, end) pairs, non-overlapping, in any order) into one unit each; tokens outside every range stay single units. An empty, out-of-bounds or overlapping range is INVALID_INPUT naming it. Indices refer to the sequence as it is when the aggregator runs (after any earlier merge). ${unitMergingDescription}`,
  parameters,
  apply(sequence, { source, target, reduce, stepScores }) {
    return mergeUnits(
      sequence,
      rangeGroups(source, sequence.source.length, "source"),
      rangeGroups(target, sequence.target.length, "target"),
      { reduce, stepScores },
      'Aggregator "spans"',
    );
  },
};
