import type { AttributionResult } from "@tokenscope/core";
import { contrastingText, mapColor, type Rgb, type ScaleKind } from "../common/color-scale.ts";
import { type ContrastTokenView, contrastView } from "../common/contrast-view.ts";
import { displayInline } from "../common/display-token.ts";
import { formatScore } from "../common/format-score.ts";
import { checkDigits, checkScale } from "../common/options.ts";
import {
  columnToken,
  type MatrixColumnView,
  type SequenceViewOptions,
  sequenceViews,
  type TokenView,
} from "../common/sequence-view.ts";

/** Options of the interactive view ({@link attributionViewData}, `toHtml`, `mountAttributionView`). */
export interface AttributionViewOptions extends SequenceViewOptions {
  /** Digits after the decimal point of every score shown; default 3. */
  digits?: number;
}

/** One matrix cell, ready to paint: the score, its text and its colours (null when empty). */
export interface CellData {
  score: number | null;
  text: string;
  /** CSS background colour, or null for an empty cell. */
  background: string | null;
  /** CSS text colour that contrasts with the background. */
  ink: string | null;
}

/** One matrix column with its token. */
export interface ColumnData extends MatrixColumnView {
  token: TokenView;
}

/** One column of the contrast diff: a target token and the contrast token it was compared with. */
export interface ContrastColumnData {
  /** The target token's step, or null for a contrast token no target token faces. */
  step: number | null;
  target: ContrastTokenView | null;
  contrastIndex: number | null;
  contrast: ContrastTokenView | null;
  differs: boolean;
  /** The attributed function's value at this step, formatted; "" when there is none. */
  scoreText: string;
}

/** The diff of a contrastive run's target and its contrast (see `contrastView`). */
export interface ContrastData {
  columns: ContrastColumnData[];
  /** The attributed function's id as a label, or null when no column has a value. */
  scoreLabel: string | null;
  /** The contrast source on one line, or null when the run had none. */
  sourceText: string | null;
}

/** One sequence of the interactive view. */
export interface SequenceData {
  index: number;
  source: TokenView[];
  target: TokenView[];
  columns: ColumnData[];
  /** [target x column]. */
  cells: CellData[][];
  stepScores: { id: string; label: string; texts: string[] }[];
  scale: { kind: ScaleKind; low: string; high: string; middle: string | null; gradient: string[] };
  /** The target set against its contrast, for a sequence of a contrastive run. */
  contrast?: ContrastData;
}

/** Run information as display strings (one line each, control characters visible). */
export interface RunInfoData {
  model: string;
  method: string;
  parameters: string;
  attributedFunction: string;
  duration: string;
  toolVersion: string;
  startedAt: string;
}

/**
 * Everything the interactive view draws, as plain JSON-safe data: strings
 * already made one-line and visible, colours already chosen, so the view
 * only places text (never markup) and colours.
 */
export interface AttributionViewData {
  info: RunInfoData;
  sequences: SequenceData[];
}

const caller = "toHtml";

function css({ r, g, b }: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

function describeParameters(parameters: Record<string, unknown>): string {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return "defaults";
  return displayInline(entries.map(([key, value]) => `${key}=${JSON.stringify(value) ?? "?"}`).join(", "));
}

function runInfo(result: AttributionResult): RunInfoData {
  const { info } = result;
  const fn = info.attributedFunction;
  return {
    model: displayInline(info.model.id + (info.model.revision ? `@${info.model.revision}` : "")),
    method: displayInline(info.method.id),
    parameters: describeParameters(info.method.parameters),
    attributedFunction: fn
      ? displayInline(
          Object.keys(fn.parameters).length ? `${fn.id} (${describeParameters(fn.parameters)})` : fn.id,
        )
      : "the method's default",
    duration: Number.isFinite(info.durationMs) ? `${(info.durationMs / 1000).toFixed(2)} s` : "?",
    toolVersion: displayInline(String(info.toolVersion)),
    startedAt: displayInline(String(info.startedAt)),
  };
}

function contrastData(
  result: AttributionResult,
  sequenceIndex: number,
  digits: number,
): { contrast: ContrastData } | Record<string, never> {
  const view = contrastView(result.sequences[sequenceIndex]!, result.info.attributedFunction?.id ?? null);
  if (!view) return {};
  return {
    contrast: {
      columns: view.columns.map(({ score, ...column }) => ({
        ...column,
        scoreText: formatScore(score, digits),
      })),
      scoreLabel: view.scoreLabel,
      sourceText: view.sourceText,
    },
  };
}

/** The data of the interactive view for `result` (see {@link AttributionViewData}). */
export function attributionViewData(
  result: AttributionResult,
  options: AttributionViewOptions = {},
): AttributionViewData {
  const digits = checkDigits(options.digits ?? 3, caller);
  const scale = checkScale(options.scale ?? "auto", caller);
  const views = sequenceViews(result, { ...options, scale }, caller);
  return {
    info: runInfo(result),
    sequences: views.map((view) => ({
      index: view.index,
      source: view.source,
      target: view.target,
      columns: view.columns.map((column) => ({ ...column, token: columnToken(view, column) })),
      cells: view.cells.map((row) =>
        row.map((score) => {
          const background = view.scale.colorOf(score);
          return {
            score,
            text: formatScore(score, digits),
            background: background ? css(background) : null,
            ink: background ? css(contrastingText(background)) : null,
          };
        }),
      ),
      stepScores: view.stepScores.map((step) => ({
        id: step.id,
        label: step.label,
        texts: step.values.map((value) => formatScore(value, digits)),
      })),
      scale: {
        kind: view.scale.kind,
        low: formatScore(view.scale.low, digits),
        high: formatScore(view.scale.high, digits),
        middle: view.scale.kind === "diverging" ? formatScore(0, digits) : null,
        gradient: Array.from({ length: 11 }, (_, i) => css(mapColor(view.scale.kind, i / 10))),
      },
      ...contrastData(result, view.index, digits),
    })),
  };
}
