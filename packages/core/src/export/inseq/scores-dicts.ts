import type { AttributionResult } from "../../result/types.ts";
import { inseqSequenceLayout } from "./layout.ts";

/**
 * A key of {@link ScoresDict}: Inseq's `(position, token)` tuple written as a JSON array, e.g.
 * `[3,"▁there"]`: the position in the whole sequence (prompt then generated tokens) tells repeated
 * tokens apart, and `JSON.parse` gives the pair back.
 */
export type ScoresKey = string;

/** One sequence's scores as Inseq's `get_scores_dicts` gives them, for data frames. */
export interface ScoresDict {
  /** Encoder-decoder only (source tokens); empty for decoder-only models, as Inseq's. */
  source_attributions: Record<ScoresKey, Record<ScoresKey, number | null>>;
  /** Generated token → every token before the last attributed step (null where Inseq has NaN). */
  target_attributions: Record<ScoresKey, Record<ScoresKey, number | null>>;
  /** Generated token → step score id → value. */
  step_scores: Record<ScoresKey, Record<string, number | null>>;
}

/** The key of the token at `position` with text `token`. */
export function scoresKey(position: number, token: string): ScoresKey {
  return JSON.stringify([position, token]);
}

const finite = (value: number) => (Number.isFinite(value) ? value : null);

/**
 * Inseq's `FeatureAttributionOutput.get_scores_dicts()` on a result as it is (apply `aggregate` first
 * for other aggregations): per sequence, for each attributed generated token (outer key, its position
 * in prompt + generated tokens), the score of every position up to the end of the attributed range
 * (inner keys; the token itself and later ones are null, Inseq's NaN), and its step scores. Tokens are
 * named by the tokenizer's piece when the result has it, as Inseq's are.
 */
export function toScoresDicts(result: AttributionResult): ScoresDict[] {
  return result.sequences.map((sequence) => {
    const layout = inseqSequenceLayout(sequence);
    const dict: ScoresDict = { source_attributions: {}, target_attributions: {}, step_scores: {} };
    for (let j = 0; j < layout.columns; j++) {
      const position = layout.attrPosStart + j;
      const outer = scoresKey(position, layout.target[position]!.token);
      const cells: Record<ScoresKey, number | null> = {};
      for (let row = 0; row < layout.rows; row++) {
        cells[scoresKey(row, layout.target[row]!.token)] = finite(layout.matrix[row * layout.columns + j]!);
      }
      dict.target_attributions[outer] = cells;
      dict.step_scores[outer] = Object.fromEntries(
        Object.entries(layout.stepScores).map(([id, values]) => [id, finite(values[j]!)]),
      );
    }
    return dict;
  });
}
