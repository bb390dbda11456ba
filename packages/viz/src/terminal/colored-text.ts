import {
  type AttributionResult,
  type SequenceAttribution,
  type Token,
  TokenscopeError,
} from "@tokenscope/core";
import { makeColorScale, type Rgb, type ScaleKind } from "../common/color-scale.ts";
import { displayInline, escapeControlCharacters, tokenLabel } from "../common/display-token.ts";
import { formatScore } from "../common/format-score.ts";
import {
  checkColumns,
  checkDigits,
  checkPositiveInteger,
  checkScale,
  defaultColumns,
  pickSequences,
  pickStepScores,
} from "../common/options.ts";
import { displayWidth, truncateToWidth } from "../common/text-width.ts";
import { type Ansis, type ColorOption, resolveColor } from "./color.ts";
import { renderLegend } from "./legend.ts";
import { paint } from "./paint.ts";
import { type TextPiece, wrapPieces } from "./wrap-pieces.ts";

/** Options of {@link renderColoredText}. */
export interface ColoredTextOptions {
  /** Which sequence (index); default 0. */
  sequence?: number;
  /** Which generated token's attributions colour the text (index into the targets); default 0. */
  step?: number;
  /** Colours: an ansis instance or a level (0 plain text, 3 truecolour); default: ansis's detection. */
  color?: ColorOption;
  /** Digits after the decimal point of every score; default 2. */
  digits?: number;
  /** Terminal width: the text is wrapped at token boundaries to fit. Default 80; Infinity for no limit. */
  columns?: number;
  /** Show (and colour) the generated tokens before the step when the result has target-prefix attributions; default true. */
  showTargetPrefix?: boolean;
  /** Step scores shown after the target token, by id; default every step score of the sequence. */
  stepScores?: readonly string[];
  /** How many of the most important tokens (largest |score|) are listed, and bracketed in plain mode; default 3. */
  top?: number;
  /** Colour map: "auto" (diverging when any score is negative, else sequential), or forced. Default "auto". */
  scale?: ScaleKind | "auto";
}

interface ScoredToken {
  token: Token;
  score: number | null;
}

const caller = "renderColoredText";

function checkStep(sequence: SequenceAttribution, sequenceIndex: number, step: number): number {
  if (!Number.isInteger(step) || step < 0 || step >= sequence.target.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: step ${step} does not exist in sequence ${sequenceIndex} (it has ${sequence.target.length} generated tokens).`,
      {
        hint:
          sequence.target.length > 0
            ? `Pass a step from 0 to ${sequence.target.length - 1}.`
            : "This sequence has no generated tokens to explain.",
        details: { sequence: sequenceIndex, step, targets: sequence.target.length },
      },
    );
  }
  return step;
}

/** The tokens before `step` (source, then the generated prefix) with their scores for that step. */
function scoredTokens(sequence: SequenceAttribution, step: number, showTargetPrefix: boolean): ScoredToken[] {
  const source = sequence.source.map((token, s) => ({
    token,
    score: sequence.sourceAttributions[step]?.[s] ?? null,
  }));
  if (!showTargetPrefix) return source;
  const prefixScores = sequence.targetAttributions?.[step];
  const prefix = sequence.target
    .slice(0, step)
    .map((token, u) => ({ token, score: prefixScores?.[u] ?? null }));
  return [...source, ...prefix];
}

/** Indices of the `count` tokens with the largest |score| (ties: the earlier token), most important first. */
export function topTokenIndices(scores: readonly (number | null)[], count: number): number[] {
  return scores
    .map((score, index) => ({ score, index }))
    .filter(
      (entry): entry is { score: number; index: number } =>
        entry.score !== null && Number.isFinite(entry.score),
    )
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.index - b.index)
    .slice(0, count)
    .map((entry) => entry.index);
}

/**
 * A token's text as it reads inside running text: control characters made
 * visible, tabs as "⇥", a line break as "↵" followed by a real break (so the
 * prompt keeps its lines), an empty or invisible token as its label. Special
 * tokens always show their label.
 */
function inlineText(token: Token): string {
  if (token.special) return tokenLabel(token);
  const text = escapeControlCharacters(token.text)
    .replace(/\r\n|\r|\n/g, "↵\n")
    .replace(/\t/g, "⇥");
  // A token that would leave no trace (empty, a lone zero-width character) shows its label, so its colour shows.
  return displayWidth(text) === 0 ? tokenLabel(token) : text;
}

function tokenPieces(
  entry: ScoredToken,
  color: Ansis,
  background: Rgb | null,
  bracketed: boolean,
): TextPiece[] {
  let text = inlineText(entry.token);
  if (bracketed) {
    const leading = /^ */.exec(text)![0];
    text = `${leading}[${text.slice(leading.length)}]`;
  }
  return text.split("\n").map((segment, i) => ({
    text: segment,
    breakBefore: i > 0,
    style: (chunk: string) => {
      const painted = paint(color, background, chunk);
      return entry.token.special ? color.dim(painted) : painted;
    },
  }));
}

function stepScoreLine(
  sequence: SequenceAttribution,
  ids: readonly string[],
  step: number,
  digits: number,
): string {
  return ids
    .map((id) => `${displayInline(id)} ${formatScore(sequence.stepScores[id]?.[step], digits) || "–"}`)
    .join(" · ");
}

/**
 * The prompt as text, each token's background coloured by its attribution
 * score for one generated token (`step`): the source tokens, then the tokens
 * generated before that step, then "→" and the generated token itself,
 * followed by its step scores (e.g. probability), the most important tokens
 * (largest |score|) with their scores, and a colour legend. Colours follow
 * the heatmap's maps (red–blue centred at 0 for signed scores, yellow to red
 * for scores ≥ 0), over the range of this step's scores. In plain mode
 * (`color: 0`) the `top` most important tokens are marked with brackets
 * instead. The text is wrapped at token boundaries to `columns`; line breaks
 * in the prompt show as "↵" and break the line. Returns the text, ending in a
 * newline; prints nothing.
 */
export function renderColoredText(result: AttributionResult, options: ColoredTextOptions = {}): string {
  const color = resolveColor(options.color, caller);
  const digits = checkDigits(options.digits ?? 2, caller);
  const columns = checkColumns(options.columns ?? defaultColumns, caller);
  const top = checkPositiveInteger(options.top ?? 3, "top", caller);
  const scaleKind = checkScale(options.scale ?? "auto", caller);
  const [{ index, sequence }] = pickSequences(result, options.sequence ?? 0, caller) as [
    { index: number; sequence: SequenceAttribution },
  ];
  const step = checkStep(sequence, index, options.step ?? 0);
  const ids = pickStepScores(sequence, index, options.stepScores, caller);
  const entries = scoredTokens(sequence, step, options.showTargetPrefix ?? true);
  const scores = entries.map((entry) => entry.score);
  const scale = makeColorScale(scores, scaleKind);
  const topIndices = topTokenIndices(scores, top);
  const plain = color.level === 0;
  const pieces = entries.flatMap((entry, i) =>
    tokenPieces(entry, color, scale.colorOf(entry.score), plain && topIndices.includes(i)),
  );
  const target = sequence.target[step]!;
  const targetLabel = tokenLabel(target);
  pieces.push({ text: " → ", breakBefore: false, style: (chunk) => chunk });
  pieces.push({
    text: targetLabel,
    breakBefore: false,
    style: (chunk) => color.bold(chunk),
    keepWithPrevious: true,
  });
  const stepLine = stepScoreLine(sequence, ids, step, digits);
  if (stepLine) pieces.push({ text: ` (${stepLine})`, breakBefore: false, style: (chunk) => chunk });
  const lines = [
    color.bold(
      truncateToWidth(
        `Sequence ${index} · step ${step} · ${sequence.target.length} generated token${sequence.target.length === 1 ? "" : "s"}`,
        columns,
      ),
    ),
    ...wrapPieces(pieces, columns),
  ];
  if (topIndices.length > 0) {
    const listed = topIndices.map(
      (i, rank) =>
        `${rank === 0 ? "top:" : " ·"} ${rank + 1}. ${tokenLabel(entries[i]!.token)} ${formatScore(entries[i]!.score, digits)}`,
    );
    lines.push(
      ...wrapPieces(
        listed.map((text) => ({ text, breakBefore: false, style: (chunk) => chunk })),
        columns,
      ),
    );
  }
  lines.push(renderLegend(scale, color, digits, columns));
  return `${lines.map((line) => line.replace(/ +$/, "")).join("\n")}\n`;
}
