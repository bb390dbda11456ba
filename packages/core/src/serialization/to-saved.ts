import { TokenscopeError } from "../errors/index.ts";
import type {
  AttributionMatrix,
  AttributionResult,
  RawAttributions,
  SequenceAttribution,
} from "../result/types.ts";
import { formatPath } from "./issues.ts";
import { toJsonValue } from "./json-value.ts";
import { maxFiniteValue, type Precision, roundToPrecision } from "./precision.ts";
import { encodeRawAttributions } from "./raw-tensor.ts";

type Path = (string | number)[];

/**
 * The saved form of `result`, not yet validated: scores rounded to `precision`
 * (NaN, which means an empty cell, written as null), raw tensors encoded, and
 * free-form fields turned into plain JSON. Anything malformed is passed through
 * unchanged for the schema to report; only what the schema could not see
 * (overflow at this precision, infinities, bigints, cycles) throws here.
 */
export function toSavedResult(result: AttributionResult, precision: Precision): unknown {
  return {
    ...result,
    info: jsonField(result.info, ["info"]),
    sequences: Array.isArray(result.sequences)
      ? result.sequences.map((sequence, index) => toSavedSequence(sequence, precision, ["sequences", index]))
      : result.sequences,
  };
}

function toSavedSequence(sequence: SequenceAttribution, precision: Precision, path: Path): unknown {
  if (sequence === null || typeof sequence !== "object") return sequence;
  const saved: Record<string, unknown> = {
    ...sequence,
    sourceAttributions: roundMatrix(sequence.sourceAttributions, precision, [...path, "sourceAttributions"]),
    targetAttributions: roundMatrix(sequence.targetAttributions, precision, [...path, "targetAttributions"]),
    stepScores: roundStepScores(sequence.stepScores, precision, [...path, "stepScores"]),
    extras: jsonField(sequence.extras, [...path, "extras"]),
    aggregation: jsonField(sequence.aggregation, [...path, "aggregation"]),
  };
  for (const key of ["rawSourceAttributions", "rawTargetAttributions"] as const) {
    if (sequence[key] !== undefined) saved[key] = encodeTensor(sequence[key], precision, [...path, key]);
  }
  return saved;
}

function roundMatrix(matrix: AttributionMatrix | null, precision: Precision, path: Path): unknown {
  if (!Array.isArray(matrix)) return matrix;
  return matrix.map((row, index) => roundScores(row, precision, [...path, index]));
}

function roundStepScores(
  scores: Record<string, (number | null)[]>,
  precision: Precision,
  path: Path,
): unknown {
  if (scores === null || typeof scores !== "object") return scores;
  return Object.fromEntries(
    Object.entries(scores).map(([id, values]) => [id, roundScores(values, precision, [...path, id])]),
  );
}

function roundScores(values: (number | null)[], precision: Precision, path: Path): unknown {
  if (!Array.isArray(values)) return values;
  return values.map((value, index) => {
    if (typeof value !== "number") return value;
    if (Number.isNaN(value)) return null;
    const rounded = roundToPrecision(value, precision);
    if (Number.isFinite(rounded)) return rounded;
    const where = formatPath([...path, index]);
    if (Number.isFinite(value)) {
      throw cannotSave(
        `${where} is ${value}, beyond ${precision}'s largest value ${maxFiniteValue(precision)}`,
        'Save with a wider precision ("float32" or "float64").',
        where,
      );
    }
    throw cannotSave(
      `${where} is ${value}, which JSON cannot hold`,
      "Replace infinite scores with a finite value, or with null for an empty cell.",
      where,
    );
  });
}

function encodeTensor(raw: RawAttributions | undefined, precision: Precision, path: Path): unknown {
  if (
    !raw ||
    !Array.isArray(raw.dims) ||
    !(raw.data instanceof Float32Array || raw.data instanceof Float64Array)
  ) {
    return raw;
  }
  return encodeRawAttributions(raw, precision, formatPath(path));
}

function jsonField(value: unknown, path: Path): unknown {
  try {
    return toJsonValue(value);
  } catch (error) {
    const where = formatPath(path);
    throw cannotSave(
      `${where} cannot be written as JSON (${(error as Error).message})`,
      "Keep extras and parameters to plain JSON values: strings, numbers, booleans, null, arrays and objects.",
      where,
      error,
    );
  }
}

function cannotSave(problem: string, hint: string, path: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `Cannot save the result: ${problem}.`, {
    hint,
    details: { path, issues: [problem] },
    cause,
  });
}
