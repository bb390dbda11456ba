import { type AttributionResult, type SequenceAttribution, TokenscopeError } from "@tokenscope/core";
import type { ScaleKind } from "./color-scale.ts";

/** Terminal width assumed when a view is given none (the width of a classic terminal). */
export const defaultColumns = 80;

/** The narrowest terminal a view accepts. */
export const minColumns = 10;

/** Checks a `digits` option: an integer from 0 to 20. */
export function checkDigits(digits: number, caller: string): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: digits must be an integer from 0 to 20, not ${digits}.`,
      {
        hint: "Pass e.g. { digits: 2 }.",
        details: { digits },
      },
    );
  }
  return digits;
}

/** Checks a `columns` option: an integer ≥ {@link minColumns}, or Infinity for no limit. */
export function checkColumns(columns: number, caller: string): number {
  if (columns !== Number.POSITIVE_INFINITY && (!Number.isInteger(columns) || columns < minColumns)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: columns must be an integer ≥ ${minColumns} (or Infinity), not ${columns}.`,
      {
        hint: "Pass the terminal's width, e.g. { columns: process.stdout.columns || 80 }.",
        details: { columns },
      },
    );
  }
  return columns;
}

/** Checks a positive integer option such as `top` or `maxTokenWidth`. */
export function checkPositiveInteger(value: number, name: string, caller: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: ${name} must be a positive integer, not ${value}.`,
      {
        hint: `Pass e.g. { ${name}: 3 }.`,
        details: { [name]: value },
      },
    );
  }
  return value;
}

/** The sequences a view shows with their indices: the one asked for, or all of them. */
export function pickSequences(
  result: AttributionResult,
  index: number | undefined,
  caller: string,
): { index: number; sequence: SequenceAttribution }[] {
  if (index === undefined) return result.sequences.map((sequence, i) => ({ index: i, sequence }));
  const sequence = Number.isInteger(index) ? result.sequences[index] : undefined;
  if (!sequence) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: sequence ${index} does not exist (the result has ${result.sequences.length}).`,
      {
        hint:
          result.sequences.length > 0
            ? `Pass a sequence index from 0 to ${result.sequences.length - 1}.`
            : "The result has no sequences: attribute at least one prompt first.",
        details: { sequence: index, sequences: result.sequences.length },
      },
    );
  }
  return [{ index, sequence }];
}

/** The step score ids a view shows: those asked for (each must exist), or all the sequence has. */
export function pickStepScores(
  sequence: SequenceAttribution,
  sequenceIndex: number,
  ids: readonly string[] | undefined,
  caller: string,
): string[] {
  const available = Object.keys(sequence.stepScores);
  if (ids === undefined) return available;
  const missing = ids.filter((id) => !Object.hasOwn(sequence.stepScores, id));
  if (missing.length > 0) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${caller}: sequence ${sequenceIndex} has no step scores ${missing.map((id) => `"${id}"`).join(", ")}.`,
      {
        hint:
          available.length > 0
            ? `Pick from ${available.map((id) => `"${id}"`).join(", ")}, or ask for the step scores when attributing.`
            : 'Ask for step scores when attributing (e.g. stepScores: ["probability"]), or pass stepScores: [].',
        details: { missing, available },
      },
    );
  }
  return [...ids];
}

/** Checks a `scale` option: "auto", "diverging" or "sequential". */
export function checkScale(scale: string, caller: string): ScaleKind | "auto" {
  if (scale === "auto" || scale === "diverging" || scale === "sequential") return scale;
  throw new TokenscopeError(
    "INVALID_INPUT",
    `${caller}: scale must be "auto", "diverging" or "sequential", not ${JSON.stringify(scale)}.`,
    {
      hint: 'Use "diverging" for signed scores, "sequential" for scores ≥ 0, or "auto" to pick from the scores.',
      details: { scale },
    },
  );
}
