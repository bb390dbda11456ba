import type { SequenceAttribution, SequenceContrastRecord, Token } from "@tokenscope/core";
import { displayInline, tokenLabel } from "./display-token.ts";

/** One token of a contrast diff: its label (see `tokenLabel`) and whether it is a special token. */
export interface ContrastTokenView {
  label: string;
  special: boolean;
}

/**
 * One column of a contrast diff: a target token and the contrast token it was compared with, or a
 * contrast token no target token faces (an insertion in the contrast: `step` and `target` are null).
 */
export interface ContrastColumnView {
  /** The target token's index (its step), or null for a contrast token no target token faces. */
  step: number | null;
  target: ContrastTokenView | null;
  /** Index into the contrast's tokens; null when the alignment names no contrast token there. */
  contrastIndex: number | null;
  contrast: ContrastTokenView | null;
  /** The two tokens differ (ids, or texts where an id is null); always true for a lone contrast token. */
  differs: boolean;
  /** The attributed function's step score at `step`, or null (not recorded, or a lone contrast token). */
  score: number | null;
}

/** A sequence's target set against its contrast, column by column (see {@link contrastView}). */
export interface ContrastView {
  /** Target order, with each contrast token no target token faces placed where it stands in the contrast. */
  columns: ContrastColumnView[];
  /** The contrast tokens no target token faces, by index, in order. */
  unaligned: { index: number; token: ContrastTokenView }[];
  /** The id of the step score in `score` as a one-line label, or null when no column has a score. */
  scoreLabel: string | null;
  /** The contrast source (the contrast side's prompt) on one line, or null when the run had none. */
  sourceText: string | null;
}

function tokenView(token: Token): ContrastTokenView {
  return { label: tokenLabel(token), special: token.special };
}

/** Whether two tokens differ: by vocabulary id when both have one, else (merged units) by text. */
function tokensDiffer(target: Token, contrast: Token): boolean {
  if (target.id !== null && contrast.id !== null) return target.id !== contrast.id;
  return target.text !== contrast.text;
}

/** The contrast index target token `t` faces, or null when the alignment names none (a damaged record). */
function alignedIndex(contrast: SequenceContrastRecord, t: number): number | null {
  const index = contrast.alignment[t];
  return Number.isInteger(index) && index! >= 0 && index! < contrast.target.length ? index! : null;
}

/**
 * The data of a contrast diff for one sequence, or null when the sequence has no `contrast`: per
 * target token (in order) the contrast token `alignment` says it was compared with, whether they
 * differ, and the attributed function's step score (`scoreId`, e.g. "contrast_prob_diff"; pass
 * `result.info.attributedFunction?.id`). A contrast token no target token faces becomes a column of
 * its own, placed before the first target column that faces a later contrast token, so an insertion
 * in the contrast shows where it happened. Several target tokens may face one contrast token. Every
 * label is escaped (`tokenLabel`, `displayInline`): the data is safe to print or to put in text nodes.
 */
export function contrastView(sequence: SequenceAttribution, scoreId: string | null): ContrastView | null {
  const { contrast } = sequence;
  if (!contrast) return null;
  const scores = scoreId !== null ? sequence.stepScores[scoreId] : undefined;
  const faced = new Set<number>();
  sequence.target.forEach((_, t) => {
    const index = alignedIndex(contrast, t);
    if (index !== null) faced.add(index);
  });
  const unaligned = contrast.target.flatMap((token, index) =>
    faced.has(index) ? [] : [{ index, token: tokenView(token) }],
  );
  const columns: ContrastColumnView[] = [];
  let nextUnaligned = 0;
  const placeUnalignedBefore = (limit: number) => {
    while (nextUnaligned < unaligned.length && unaligned[nextUnaligned]!.index < limit) {
      const { index, token } = unaligned[nextUnaligned++]!;
      columns.push({
        step: null,
        target: null,
        contrastIndex: index,
        contrast: token,
        differs: true,
        score: null,
      });
    }
  };
  sequence.target.forEach((token, step) => {
    const index = alignedIndex(contrast, step);
    if (index !== null) placeUnalignedBefore(index);
    const contrastToken = index !== null ? contrast.target[index]! : null;
    columns.push({
      step,
      target: tokenView(token),
      contrastIndex: index,
      contrast: contrastToken ? tokenView(contrastToken) : null,
      differs: contrastToken ? tokensDiffer(token, contrastToken) : true,
      score: scores?.[step] ?? null,
    });
  });
  placeUnalignedBefore(Number.POSITIVE_INFINITY);
  const scored = columns.some((column) => column.score !== null);
  return {
    columns,
    unaligned,
    scoreLabel: scored && scoreId !== null ? displayInline(scoreId) : null,
    sourceText: contrast.sourceText !== undefined ? displayInline(contrast.sourceText) : null,
  };
}
