import { TokenscopeError } from "@tokenscope/core";
import type { ScaleKind } from "../common/color-scale.ts";
import { checkDigits, checkPositiveInteger, checkScale } from "../common/options.ts";
import type { SequenceView, SequenceViewOptions } from "../common/sequence-view.ts";

/** The figures {@link toSvg} draws. */
export const svgKinds = ["heatmap", "text", "distribution", "bar"] as const;

/** One of {@link svgKinds}. */
export type SvgKind = (typeof svgKinds)[number];

/** Options of {@link toSvg}. Every option is checked; a bad one throws `INVALID_INPUT`. */
export interface SvgOptions extends SequenceViewOptions {
  /**
   * Which figure: "heatmap" (default; generated tokens x source and prefix tokens), "text" (the
   * prompt coloured by one step's attribution), "distribution" (each step's importance distribution
   * over the earlier tokens, as a ridgeline) or "bar" (one step's attribution as a bar chart).
   */
  kind?: SvgKind;
  /** Digits after the decimal point of every printed score; default 2. */
  digits?: number;
  /** Widest a token label may be, in monospace cells, before it is cut with "…" (full label in a tooltip); default 12. */
  maxTokenWidth?: number;
  /** Font size in px; every length of the figure scales with it. Default 12. */
  fontSize?: number;
  /** The generated token (index into the targets) that kinds "text" and "bar" explain; default the last. */
  step?: number;
  /** Kind "text": the width in px the token flow is wrapped to; default 800. */
  width?: number;
}

/** {@link SvgOptions} checked, with defaults filled in. */
export interface SvgSettings {
  kind: SvgKind;
  digits: number;
  maxTokenWidth: number;
  fontSize: number;
  step: number | undefined;
  width: number;
  scale: ScaleKind | "auto";
  viewOptions: SequenceViewOptions;
}

/** Smallest and largest font size accepted, in px. */
export const fontSizeRange = { min: 4, max: 96 } as const;
/** Smallest and largest wrap width of kind "text", in px. */
export const widthRange = { min: 100, max: 20_000 } as const;

const caller = "toSvg";

function invalid(message: string, hint: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `${caller}: ${message}`, { hint, details });
}

function checkKind(kind: unknown): SvgKind {
  if (typeof kind === "string" && (svgKinds as readonly string[]).includes(kind)) return kind as SvgKind;
  throw invalid(
    `kind must be ${svgKinds.map((k) => `"${k}"`).join(", ")}, not ${JSON.stringify(kind)}.`,
    'Pass e.g. { kind: "heatmap" }.',
    { kind },
  );
}

function checkRange(value: unknown, name: string, range: { min: number; max: number }): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw invalid(
      `${name} must be a number from ${range.min} to ${range.max}, not ${JSON.stringify(value) ?? String(value)}.`,
      `Pass e.g. { ${name}: ${name === "fontSize" ? 12 : 800} }.`,
      { [name]: value, ...range },
    );
  }
  return value;
}

function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw invalid(`${name} must be true or false, not ${JSON.stringify(value)}.`, `Pass { ${name}: false }.`, {
    [name]: value,
  });
}

function checkStepScoreIds(ids: unknown): readonly string[] | undefined {
  if (ids === undefined) return undefined;
  if (Array.isArray(ids) && ids.every((id) => typeof id === "string")) return ids;
  throw invalid(
    "stepScores must be an array of step score ids.",
    'Pass e.g. { stepScores: ["probability"] }, or [] for none.',
    { stepScores: ids },
  );
}

/** Checks every option of {@link toSvg} and fills in the defaults. */
export function resolveSvgOptions(options: SvgOptions): SvgSettings {
  if (typeof options !== "object" || options === null) {
    throw invalid("options must be an object.", 'Pass e.g. { kind: "heatmap" }, or nothing.', {});
  }
  const scale = checkScale(options.scale ?? "auto", caller);
  const step = options.step;
  if (step !== undefined && (!Number.isInteger(step) || step < 0)) {
    throw invalid(
      `step must be a non-negative integer (a generated token's index), not ${step}.`,
      "Pass e.g. { step: 0 } for the first generated token, or leave it out for the last.",
      { step },
    );
  }
  const showTargetPrefix = checkBoolean(options.showTargetPrefix, "showTargetPrefix");
  const stepScores = checkStepScoreIds(options.stepScores);
  const viewOptions: SequenceViewOptions = { scale };
  if (options.sequence !== undefined) viewOptions.sequence = options.sequence;
  if (showTargetPrefix !== undefined) viewOptions.showTargetPrefix = showTargetPrefix;
  if (stepScores !== undefined) viewOptions.stepScores = stepScores;
  return {
    kind: checkKind(options.kind ?? "heatmap"),
    digits: checkDigits(options.digits ?? 2, caller),
    maxTokenWidth: checkPositiveInteger(options.maxTokenWidth ?? 12, "maxTokenWidth", caller),
    fontSize: checkRange(options.fontSize ?? 12, "fontSize", fontSizeRange),
    step,
    width: checkRange(options.width ?? 800, "width", widthRange),
    scale,
    viewOptions,
  };
}

/**
 * The step a figure of one sequence explains: `step` when given (it must exist in that sequence),
 * else the last generated token; null for a sequence without generated tokens when no step was asked.
 */
export function resolveStep(view: SequenceView, step: number | undefined): number | null {
  const count = view.target.length;
  if (step === undefined) return count > 0 ? count - 1 : null;
  if (step >= count) {
    throw invalid(
      `step ${step} does not exist in sequence ${view.index} (it has ${count} generated token${count === 1 ? "" : "s"}).`,
      count > 0
        ? `Pass a step from 0 to ${count - 1}, or leave it out for the last.`
        : "This sequence has no generated tokens to explain; pick another sequence.",
      { sequence: view.index, step, targets: count },
    );
  }
  return step;
}
