import { f16round } from "@petamoriken/float16";

/** Floating-point precision scores are stored at in a saved result. */
export type Precision = "float64" | "float32" | "float16";

/** Every precision a saved result may use, widest first. */
export const precisions: readonly Precision[] = ["float64", "float32", "float16"];

/** The precision used when none is given: float32 halves file size and loses nothing a float32 model computed. */
export const DEFAULT_PRECISION: Precision = "float32";

interface PrecisionFormat {
  round: (x: number) => number;
  /** Significant decimal digits that always identify a value of this precision uniquely. */
  maxDigits: number;
}

const formats: Record<Exclude<Precision, "float64">, PrecisionFormat> = {
  float32: { round: Math.fround, maxDigits: 9 },
  float16: { round: f16round, maxDigits: 5 },
};

/**
 * Rounds `value` to `precision` and returns the double nearest to the shortest
 * decimal that rounds back to the same value at that precision, so that
 * `JSON.stringify` writes as few digits as possible while
 * `round(Number(written)) === round(value)` holds. Non-finite values, and
 * finite values that overflow the precision, come back as ±Infinity or NaN
 * for the caller to reject.
 */
export function roundToPrecision(value: number, precision: Precision): number {
  if (precision === "float64") return value;
  const { round, maxDigits } = formats[precision];
  const rounded = round(value);
  if (rounded === 0 || !Number.isFinite(rounded)) return rounded;
  return shortestDecimal(rounded, round, maxDigits);
}

/**
 * Fewest significant digits that survive `round`. Binary search is valid because
 * a correctly rounded decimal with more digits is never farther from the value.
 */
function shortestDecimal(rounded: number, round: (x: number) => number, maxDigits: number): number {
  let low = 1;
  let high = maxDigits;
  while (low < high) {
    const digits = (low + high) >> 1;
    if (round(Number(rounded.toPrecision(digits))) === rounded) high = digits;
    else low = digits + 1;
  }
  return Number(rounded.toPrecision(high));
}

/** The largest finite value of a precision, for messages about overflow. */
export function maxFiniteValue(precision: Precision): number {
  if (precision === "float16") return 65504;
  if (precision === "float32") return 3.4028234663852886e38;
  return Number.MAX_VALUE;
}
