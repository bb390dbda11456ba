import type { AttributionResult, SequenceAttribution, Token } from "@tokenscope/core";
import { type ColorScale, makeColorScale, type ScaleKind } from "./color-scale.ts";
import { displayInline, tokenLabel } from "./display-token.ts";
import { pickSequences, pickStepScores } from "./options.ts";

/** One token as every view shows it. */
export interface TokenView {
  /** One-line label (control characters visible, "␣" for edge spaces, "<s>" for BOS): see `tokenLabel`. */
  label: string;
  /** The token's text with control characters made visible but spaces and line breaks kept. */
  text: string;
  special: boolean;
}

/** A column of the attribution matrix: a source token, or an earlier generated token (target prefix). */
export interface MatrixColumnView {
  group: "source" | "prefix";
  /** Index of the token in `source` or `target`. */
  index: number;
}

/** One step score (probability, entropy, ...) for every generated token. */
export interface StepScoreView {
  id: string;
  /** `id` as a one-line label. */
  label: string;
  values: (number | null)[];
}

/**
 * One sequence laid out for drawing: the matrix has one row per generated
 * token and one column per source token, then (when shown) one per generated
 * token as target prefix. Cells at or after their own step are null.
 */
export interface SequenceView {
  /** Index of the sequence in the result. */
  index: number;
  source: TokenView[];
  target: TokenView[];
  columns: MatrixColumnView[];
  /** [target x column] scores; null for an empty cell. */
  cells: (number | null)[][];
  stepScores: StepScoreView[];
  /** The colour scale over every cell of this sequence. */
  scale: ColorScale;
}

/** Options shared by every figure built from {@link sequenceViews}. */
export interface SequenceViewOptions {
  /** Only this sequence (index); default every sequence. */
  sequence?: number;
  /** Include the target-prefix columns when the result has them; default true. */
  showTargetPrefix?: boolean;
  /** Step scores to include, by id; default every step score of the sequence. */
  stepScores?: readonly string[];
  /** Colour map: "auto" (diverging when any score is negative, else sequential), or forced. Default "auto". */
  scale?: ScaleKind | "auto";
}

function tokenView(token: Token): TokenView {
  return { label: tokenLabel(token), text: displayInline(token.text), special: token.special };
}

/** Lays one sequence out for drawing (see {@link SequenceView}). */
export function sequenceView(
  sequence: SequenceAttribution,
  index: number,
  options: Omit<SequenceViewOptions, "sequence">,
  caller: string,
): SequenceView {
  const prefix = options.showTargetPrefix === false ? null : sequence.targetAttributions;
  const columns: MatrixColumnView[] = [
    ...sequence.source.map((_, s) => ({ group: "source" as const, index: s })),
    ...(prefix ? sequence.target.map((_, u) => ({ group: "prefix" as const, index: u })) : []),
  ];
  const cells = sequence.target.map((_, t) =>
    columns.map(({ group, index: i }) => {
      if (group === "source") return sequence.sourceAttributions[t]?.[i] ?? null;
      // A token cannot be attributed to itself or to later tokens: those cells stay empty.
      return i < t ? (prefix?.[t]?.[i] ?? null) : null;
    }),
  );
  const ids = pickStepScores(sequence, index, options.stepScores, caller);
  return {
    index,
    source: sequence.source.map(tokenView),
    target: sequence.target.map(tokenView),
    columns,
    cells,
    stepScores: ids.map((id) => ({
      id,
      label: displayInline(id),
      values: sequence.target.map((_, t) => sequence.stepScores[id]?.[t] ?? null),
    })),
    scale: makeColorScale(cells.flat(), options.scale ?? "auto"),
  };
}

/** The sequences a figure shows (one, or all), each laid out by {@link sequenceView}. */
export function sequenceViews(
  result: AttributionResult,
  options: SequenceViewOptions,
  caller: string,
): SequenceView[] {
  return pickSequences(result, options.sequence, caller).map(({ index, sequence }) =>
    sequenceView(sequence, index, options, caller),
  );
}

/** The label of a matrix column: the source or generated token it stands for. */
export function columnToken(view: SequenceView, column: MatrixColumnView): TokenView {
  return (column.group === "source" ? view.source : view.target)[column.index]!;
}
