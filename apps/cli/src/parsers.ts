import { InvalidArgumentError } from "@commander-js/extra-typings";
import { checkLimit, isTokenscopeError, type LimitName, limits } from "@tokenscope/core";

/*
 * Option-value parsers shared by every command: a malformed value is a bad command line (exit 2),
 * reported by commander with the option's name.
 */

/** An integer ≥ `minimum` and, when given, ≤ `maximum`. */
export function integer(minimum: number, maximum?: number) {
  const expected =
    maximum === undefined ? `an integer ≥ ${minimum}` : `an integer from ${minimum} to ${maximum}`;
  return (value: string): number => {
    const parsed = Number(value);
    const inRange = parsed >= minimum && (maximum === undefined || parsed <= maximum);
    if (value.trim() === "" || !Number.isInteger(parsed) || !inRange) {
      throw new InvalidArgumentError(`expected ${expected}`);
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
        `expected an integer from ${minimum} to ${limits[limit].max.toLocaleString("en-US")}`,
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

/** Any integer, negative ones included (positions counted from the end). */
export function signedInteger(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed)) throw new InvalidArgumentError("expected an integer");
  return parsed;
}

/** A finite number. */
export function finiteNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) throw new InvalidArgumentError("expected a number");
  return parsed;
}

/** A number > 0. */
export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError("expected a positive number");
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

/** `name=value`, repeatable: the value is read as JSON when it parses (numbers, booleans, arrays), else as text. */
export function nameValue(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const equals = value.indexOf("=");
  if (equals <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  const name = value.slice(0, equals);
  const raw = value.slice(equals + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string such as "zero"
  }
  return { ...previous, [name]: parsed };
}
