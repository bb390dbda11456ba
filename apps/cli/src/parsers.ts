import { InvalidArgumentError } from "@commander-js/extra-typings";
import {
  type ContrastAlignment,
  checkLimit,
  isTokenscopeError,
  type LimitName,
  limits,
} from "@tokenscope/core";

/*
 * Option-value parsers shared by every command: a malformed value is a bad command line (exit 2),
 * reported by commander with the option's name.
 *
 * Numbers are read in decimal notation only, the same way by every parser: digits, a leading "-"
 * only where negative values are allowed, and an exponent ("1e3", "2.5E-3"). Integers may be
 * written with a non-negative exponent and no fraction ("1e3" is 1000, so `--n-steps 1e9` reaches
 * the limit check and its message); other numbers may have a fraction (".5", "0.5", "5."). Refused,
 * whatever `Number()` would make of them: hex, octal and binary ("0x10", "0o7", "0b1"), padding
 * ("␠5␠"), an empty value, "Infinity", "NaN", digit separators ("1_000") and a "+" sign.
 */

const INTEGER_PATTERN = /^-?[0-9]+(?:[eE][0-9]+)?$/;
const NUMBER_PATTERN = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** The integer `value` writes in decimal notation, or undefined (also above 2^53, where it is not exact). */
function decimalInteger(value: string): number | undefined {
  if (!INTEGER_PATTERN.test(value)) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) return undefined;
  return parsed === 0 ? 0 : parsed; // "-0" is 0
}

/** The finite number `value` writes in decimal notation, or undefined. */
function decimalNumber(value: string): number | undefined {
  if (!NUMBER_PATTERN.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** An integer ≥ `minimum` and, when given, ≤ `maximum`. */
export function integer(minimum: number, maximum?: number) {
  const expected =
    maximum === undefined ? `an integer ≥ ${minimum}` : `an integer from ${minimum} to ${maximum}`;
  return (value: string): number => {
    const parsed = decimalInteger(value);
    if (parsed === undefined || parsed < minimum || (maximum !== undefined && parsed > maximum)) {
      throw new InvalidArgumentError(`expected ${expected} in decimal digits`);
    }
    return parsed;
  };
}

/**
 * An integer ≥ `minimum` and within one of tokenscope's documented {@link limits}: a value above the
 * bound is refused before any work, with the bound and its reason (`checkLimit`).
 */
export function limitedInteger(minimum: number, limit: LimitName) {
  const parse = integer(minimum);
  return (value: string): number => {
    let parsed: number;
    try {
      parsed = parse(value);
    } catch {
      throw new InvalidArgumentError(
        `expected an integer from ${minimum} to ${limits[limit].max.toLocaleString("en-US")} in decimal digits`,
      );
    }
    try {
      checkLimit(limit, parsed, "That");
    } catch (error) {
      if (isTokenscopeError(error)) throw new InvalidArgumentError(error.message);
      throw error;
    }
    return parsed;
  };
}

/**
 * A path to write (`--out`): refuses an empty or blank value, which is what an unset shell variable
 * gives (`--out "$OUT"`) and would otherwise be taken as "no --out" and save nothing.
 */
export function outputPath(value: string): string {
  if (value.trim() === "") {
    throw new InvalidArgumentError(
      "expected a path, got an empty value (an unset shell variable?); leave the option out to write nothing",
    );
  }
  return value;
}

/** Any integer, negative ones included (positions counted from the end). */
export function signedInteger(value: string): number {
  const parsed = decimalInteger(value);
  if (parsed === undefined) throw new InvalidArgumentError("expected an integer in decimal digits");
  return parsed;
}

/** A finite number. */
export function finiteNumber(value: string): number {
  const parsed = decimalNumber(value);
  if (parsed === undefined) throw new InvalidArgumentError("expected a decimal number, e.g. 0.7");
  return parsed;
}

/** A number > 0. */
export function positiveNumber(value: string): number {
  const parsed = decimalNumber(value);
  if (parsed === undefined || !(parsed > 0)) {
    throw new InvalidArgumentError("expected a positive decimal number, e.g. 0.01 or 1e-3");
  }
  return parsed;
}

/** A comma-separated list, items trimmed, empty items dropped. */
export function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A repeatable string option: every occurrence kept, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A JSON object, e.g. `'{"logprob": true}'`. */
export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`expected a JSON object: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidArgumentError("expected a JSON object, e.g. '{\"logprob\": true}'");
  }
  return parsed as Record<string, unknown>;
}

/**
 * `name=value`, repeatable: the value is read as JSON when it parses (numbers, booleans, arrays), else
 * as text. A name given twice is refused (the second would silently win). Names become own keys
 * (`__proto__` and `constructor` included), which the schema then refuses as unknown.
 */
export function nameValue(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const equals = value.indexOf("=");
  if (equals <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  const name = value.slice(0, equals);
  if (Object.hasOwn(previous, name)) throw new InvalidArgumentError(`"${name}" is given twice`);
  const raw = value.slice(equals + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string such as "zero"
  }
  return { ...previous, [name]: parsed };
}

/**
 * `--contrast-alignments`: "auto", or JSON pairs `[[targetIndex, contrastIndex], ...]` (a list of such
 * lists, one per prompt, also works). Shapes are checked here; indices against the tokens later.
 */
export function contrastAlignments(value: string): ContrastAlignment | ContrastAlignment[] {
  if (value.trim() === "auto") return "auto";
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(
      `expected "auto" or JSON pairs such as [[0,0],[1,2]]: ${(error as Error).message}`,
    );
  }
  const isPairs = (item: unknown): boolean =>
    Array.isArray(item) &&
    item.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        pair.every((index) => Number.isInteger(index) && (index as number) >= 0),
    );
  if (isPairs(parsed)) return parsed as ContrastAlignment;
  if (
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every((item) => item === "auto" || isPairs(item))
  ) {
    return parsed as ContrastAlignment[];
  }
  throw new InvalidArgumentError(
    'expected "auto" or pairs of non-negative token indices [[targetIndex, contrastIndex], ...], e.g. [[0,0],[1,2]]',
  );
}
