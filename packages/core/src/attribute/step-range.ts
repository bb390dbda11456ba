import { TokenscopeError } from "../errors/index.ts";
import type { StepRange } from "./types.ts";

function checkBound(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `steps.${name} must be a non-negative integer, got ${String(value)}.`,
      {
        hint: "steps is a half-open range { start, end } of target positions, counted from 0.",
        details: { steps: { [name]: value } },
      },
    );
  }
}

/** Checks a step range before any work: non-negative integers with start < end. */
export function checkStepRange(range: StepRange | undefined): void {
  if (!range) return;
  checkBound("start", range.start);
  checkBound("end", range.end);
  if (range.start !== undefined && range.end !== undefined && range.start >= range.end) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `steps { start: ${range.start}, end: ${range.end} } is empty: start must be below end.`,
      {
        hint: "end is exclusive: { start: 2, end: 3 } attributes target position 2 only.",
        details: { range },
      },
    );
  }
}

/**
 * The target positions a range selects in a target of `targetLength` tokens.
 * `end` is clamped to the target's length, since a generated target's length
 * is not known in advance; a range that starts past the end is an error.
 */
export function selectSteps(
  range: StepRange | undefined,
  targetLength: number,
  sequenceIndex: number,
): number[] {
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? targetLength, targetLength);
  if (start >= end) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `steps starts at target position ${start}, but sequence ${sequenceIndex} has only ${targetLength} target tokens.`,
      {
        hint: "Lower steps.start, or generate more tokens (generation.maxNewTokens).",
        details: { range, targetLength, sequence: sequenceIndex },
      },
    );
  }
  return Array.from({ length: end - start }, (_, index) => start + index);
}
