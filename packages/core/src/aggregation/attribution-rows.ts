import { assertSequenceShape } from "../result/sequence-shape.ts";
import type { AttributionMatrix, SequenceAttribution } from "../result/types.ts";

/**
 * The non-null scores of target row `t` across both matrices: its source cells
 * in order, then its target-prefix cells u < t. Cells at u >= t are never part
 * of a row, whatever they hold, since they are "not yet generated".
 */
export function rowValues(sequence: SequenceAttribution, t: number): number[] {
  const values: number[] = [];
  for (const value of sequence.sourceAttributions[t] ?? []) if (value !== null) values.push(value);
  const prefix = sequence.targetAttributions?.[t] ?? [];
  for (let u = 0; u < t; u++) {
    const value = prefix[u];
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/**
 * Rewrites every target row: `transform` gets the row's non-null scores (as
 * {@link rowValues} lists them) and returns as many new scores, which go back
 * into the same cells. Empty cells stay null and target-prefix cells at u >= t
 * come out null. Returns new matrices; the sequence is not modified.
 */
export function mapAttributionRows(
  sequence: SequenceAttribution,
  owner: string,
  transform: (values: number[], t: number) => number[],
): Pick<SequenceAttribution, "sourceAttributions" | "targetAttributions"> {
  assertSequenceShape(sequence, owner);
  const sourceAttributions: AttributionMatrix = [];
  const targetAttributions: AttributionMatrix | null = sequence.targetAttributions ? [] : null;
  sequence.target.forEach((_, t) => {
    const mapped = transform(rowValues(sequence, t), t);
    let next = 0;
    const take = (value: number | null | undefined): number | null =>
      value === null || value === undefined ? null : mapped[next++]!;
    sourceAttributions.push(sequence.sourceAttributions[t]!.map(take));
    if (targetAttributions) {
      const prefix = sequence.targetAttributions![t]!;
      targetAttributions.push(prefix.map((value, u) => (u < t ? take(value) : null)));
    }
  });
  return { sourceAttributions, targetAttributions };
}
