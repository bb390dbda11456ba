import { badParameter } from "./openai-error.ts";

/** A parsed request body: parameters by name. */
export type RequestBody = Record<string, unknown>;

/** `body[name]` as an integer in [minimum, maximum], `fallback` when absent or null. */
export function integerParameter<F extends number | undefined>(
  body: RequestBody,
  name: string,
  minimum: number,
  maximum: number,
  fallback: F,
): number | F {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw badParameter(
      name,
      `${name} must be an integer from ${minimum} to ${maximum}, got ${describe(value)}.`,
    );
  }
  return value;
}

/** `body[name]` as a finite number in [minimum, maximum] (`exclusiveMinimum`: above it), or `fallback`. */
export function numberParameter(
  body: RequestBody,
  name: string,
  range: { minimum: number; maximum: number; exclusiveMinimum?: boolean },
  fallback: number,
): number {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  const low = range.exclusiveMinimum ? (value as number) <= range.minimum : (value as number) < range.minimum;
  if (typeof value !== "number" || !Number.isFinite(value) || low || value > range.maximum) {
    const from = range.exclusiveMinimum ? `above ${range.minimum}` : `from ${range.minimum}`;
    throw badParameter(
      name,
      `${name} must be a number ${from} up to ${range.maximum}, got ${describe(value)}.`,
    );
  }
  return value;
}

/** `body[name]` as a boolean, or `fallback`. */
export function booleanParameter(body: RequestBody, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean")
    throw badParameter(name, `${name} must be true or false, got ${describe(value)}.`);
  return value;
}

/** Most stop strings a request may give (as OpenAI). */
export const MAX_STOP_STRINGS = 4;

/** `stop`: a string or up to four strings; empty strings are dropped. */
export function stopParameter(body: RequestBody): string[] {
  const value = body["stop"];
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    throw badParameter("stop", `stop must be a string or an array of strings, got ${describe(value)}.`);
  }
  if (list.length > MAX_STOP_STRINGS) {
    throw badParameter("stop", `stop takes at most ${MAX_STOP_STRINGS} strings, got ${list.length}.`);
  }
  return (list as string[]).filter((stop) => stop.length > 0);
}

/**
 * Refuses what the server cannot honour rather than silently ignoring it: `n` and `best_of`
 * other than 1, streaming, penalties, logit biases and tools.
 */
export function refuseUnsupported(body: RequestBody, extra: readonly string[] = []): void {
  for (const name of ["n", "best_of"]) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== 1) {
      throw badParameter(
        name,
        `${name} must be 1: tokenscope serve returns one choice per request.`,
        "unsupported_value",
      );
    }
  }
  if (body["stream"] === true) {
    throw badParameter(
      "stream",
      "Streaming is not supported by tokenscope serve; leave stream out or false.",
      "unsupported_value",
    );
  }
  for (const name of ["presence_penalty", "frequency_penalty"]) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== 0) {
      throw badParameter(name, `${name} is not supported by tokenscope serve (only 0).`, "unsupported_value");
    }
  }
  const bias = body["logit_bias"];
  if (bias !== undefined && bias !== null && (typeof bias !== "object" || Object.keys(bias).length > 0)) {
    throw badParameter("logit_bias", "logit_bias is not supported by tokenscope serve.", "unsupported_value");
  }
  for (const name of ["tools", "functions", ...extra]) {
    const value = body[name];
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) {
      throw badParameter(name, `${name} is not supported by tokenscope serve.`, "unsupported_value");
    }
  }
}

/** A short, JSON-like description of a bad value for an error message. */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
