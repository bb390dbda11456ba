import { InvalidArgumentError, Option } from "@commander-js/extra-typings";

/** Bytes per unit of a `--memory-budget` size. */
const units: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** The smallest budget accepted: below it no model row fits, and a bare "64" is a forgotten unit. */
const MIN_BUDGET_BYTES = 1024 * 1024;

/**
 * A size such as `512MiB`, `2GiB`, `1.5GB` or a number of bytes. Refuses malformed sizes and budgets
 * under 1 MiB (most often a number meant in MiB without its unit).
 */
export function parseMemorySize(value: string): number {
  // Decimal digits and a unit, nothing around them, as every numeric option reads (parsers.ts).
  const match = /^(\d+(?:\.\d+)?) ?([a-zA-Z]*)$/.exec(value);
  const name = match ? (match[2] ?? "").toLowerCase() : undefined;
  const unit = name !== undefined && Object.hasOwn(units, name) ? units[name] : undefined;
  if (!match || unit === undefined) {
    throw new InvalidArgumentError('expected a size such as "512MiB", "2GiB" or a number of bytes');
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < MIN_BUDGET_BYTES) {
    throw new InvalidArgumentError(
      `expected at least 1MiB (got ${bytes} bytes; give a unit, e.g. "${match[1]}MiB")`,
    );
  }
  return bytes;
}

/** `--memory-budget <size>`: the most memory one model call of a method may use. */
export function memoryBudgetOption() {
  return new Option(
    "--memory-budget <size>",
    "most memory one model call may use, e.g. 512MiB; a row that cannot fit is refused before any work",
  ).argParser(parseMemorySize);
}
