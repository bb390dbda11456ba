import type { AttributionResult } from "../result/types.ts";

/** The fixed columns of an {@link AttributionRow}, in order. */
export const attributionRowColumns = [
  "sequence",
  "targetIndex",
  "targetText",
  "sourceKind",
  "sourceIndex",
  "sourceText",
  "score",
] as const;

/**
 * One non-null attribution cell in long form: which target, attributed to
 * which source (or earlier target) token, and the score; plus one column per
 * step score of that target, named by its step function id.
 */
export interface AttributionRow {
  sequence: number;
  targetIndex: number;
  /** The text of the target token (not the whole target text). */
  targetText: string;
  /** "source": a source token; "target": an earlier target token (target-prefix attribution). */
  sourceKind: "source" | "target";
  /** Index into the source tokens, or into the target tokens when `sourceKind` is "target". */
  sourceIndex: number;
  sourceText: string;
  score: number;
  /** Step scores of the target, by step function id. */
  [stepScore: string]: string | number | null;
}

const reserved = new Set<string>(attributionRowColumns);

/**
 * The column a step score goes in: its id, or `step_<id>` when the id is one
 * of the fixed columns (a step function named "score" must not hide the score).
 */
export function stepScoreColumn(id: string): string {
  return reserved.has(id) ? `step_${id}` : id;
}

/**
 * Long-form rows, one per non-null cell, for data-frame style analysis: for
 * each sequence and target, its source cells, then its target-prefix cells.
 */
export function toRows(result: AttributionResult): AttributionRow[] {
  const rows: AttributionRow[] = [];
  result.sequences.forEach((sequence, sequenceIndex) => {
    const stepEntries = Object.entries(sequence.stepScores);
    sequence.target.forEach((target, t) => {
      const stepColumns = Object.fromEntries(
        stepEntries.map(([id, scores]) => [stepScoreColumn(id), scores[t] ?? null]),
      );
      const push = (
        sourceKind: "source" | "target",
        sourceIndex: number,
        sourceText: string,
        score: number,
      ) => {
        rows.push({
          sequence: sequenceIndex,
          targetIndex: t,
          targetText: target.text,
          sourceKind,
          sourceIndex,
          sourceText,
          score,
          ...stepColumns,
        });
      };
      sequence.sourceAttributions[t]?.forEach((score, s) => {
        if (score !== null) push("source", s, sequence.source[s]?.text ?? "", score);
      });
      sequence.targetAttributions?.[t]?.forEach((score, u) => {
        if (score !== null && u < t) push("target", u, sequence.target[u]?.text ?? "", score);
      });
    });
  });
  return rows;
}
