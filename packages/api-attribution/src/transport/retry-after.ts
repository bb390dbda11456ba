/** A minimal view of response headers: a `Headers` object or anything with `get`. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * How long a server asked us to wait, in milliseconds, or undefined when it did not say (or said
 * something unreadable). Reads `retry-after-ms` (OpenAI's, milliseconds) first, then the standard
 * `Retry-After`: delay-seconds ("2", "0.5") or an HTTP-date (a date in the past gives 0). `nowMs`
 * is the current time for HTTP-dates (injectable for tests).
 */
export function retryAfterMs(
  headers: HeaderLookup | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const milliseconds = parseNumber(headers.get("retry-after-ms"));
  if (milliseconds !== undefined) return milliseconds;
  return parseRetryAfter(headers.get("retry-after"), nowMs);
}

/**
 * Parses a `Retry-After` value: delay-seconds or an HTTP-date, as milliseconds from `nowMs`
 * (never negative); undefined when empty or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  const seconds = parseNumber(trimmed);
  if (seconds !== undefined) return seconds * 1000;
  // An HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"); digits alone were handled above.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function parseNumber(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}
