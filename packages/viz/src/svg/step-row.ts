import { type ColorScale, makeColorScale } from "../common/color-scale.ts";
import { columnToken, type SequenceView, type TokenView } from "../common/sequence-view.ts";

/** One column of the matrix as seen from one step: the token and its score for that step. */
export interface StepEntry {
  /** Index of the column in the view's matrix. */
  column: number;
  group: "source" | "prefix";
  token: TokenView;
  score: number | null;
}

/**
 * The tokens one generated token (`step`) can be attributed to, with their scores: every source
 * token, then the generated tokens before the step when the view has target-prefix columns.
 */
export function stepEntries(view: SequenceView, step: number): StepEntry[] {
  const row = view.cells[step] ?? [];
  return view.columns.flatMap((column, c) =>
    column.group === "prefix" && column.index >= step
      ? []
      : [{ column: c, group: column.group, token: columnToken(view, column), score: row[c] ?? null }],
  );
}

/** A colour scale over one step's scores, like the terminal's coloured text: the step's own range. */
export function stepScale(entries: readonly StepEntry[], kind: ColorScale["kind"] | "auto"): ColorScale {
  return makeColorScale(
    entries.map((entry) => entry.score),
    kind,
  );
}
