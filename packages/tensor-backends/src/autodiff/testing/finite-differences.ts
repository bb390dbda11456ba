/**
 * Float64 numerical gradients for checking the autodiff: central differences of a scalar objective,
 * and the error measure the checks use.
 */

/** A function of one flat input returning one flat output (each evaluation may run a model). */
export type FlatFunction = (input: Float64Array) => Promise<Float64Array>;

/** Options of {@link numericalJacobian}. */
export interface FiniteDifferenceOptions {
  /** Step h of (f(x + h·e_i) − f(x − h·e_i)) / 2h; default 1e-5, right for float64. */
  step?: number;
}

/**
 * Central-difference Jacobian: row i holds (f(x + h·e_i) − f(x − h·e_i)) / 2h, the change of every
 * output element with input element i. Costs 2·length evaluations of `f`.
 */
export async function numericalJacobian(
  f: FlatFunction,
  input: Float64Array,
  options: FiniteDifferenceOptions = {},
): Promise<Float64Array[]> {
  const step = options.step ?? 1e-5;
  const rows: Float64Array[] = [];
  for (let index = 0; index < input.length; index++) {
    const plus = Float64Array.from(input);
    const minus = Float64Array.from(input);
    plus[index]! += step;
    minus[index]! -= step;
    const [high, low] = await Promise.all([f(plus), f(minus)]);
    rows.push(high.map((value, j) => (value - low[j]!) / (2 * step)));
  }
  return rows;
}

/** seed · J for a Jacobian from {@link numericalJacobian}: one entry per input element. */
export function vjpFromJacobian(rows: readonly Float64Array[], seed: ArrayLike<number>): Float64Array {
  return Float64Array.from(rows, (row) => {
    let total = 0;
    for (let j = 0; j < row.length; j++) total += seed[j]! * row[j]!;
    return total;
  });
}

/**
 * max_i |analytic_i − numeric_i| / max_i |numeric_i|: the error relative to the gradient's scale
 * (per-element relative error is meaningless where the gradient crosses zero). Returns the absolute
 * error when the numerical gradient is all zeros.
 */
export function maxRelativeError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  if (analytic.length !== numeric.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < numeric.length; index++) {
    const a = analytic[index]!;
    const n = numeric[index]!;
    if (!Number.isFinite(a) || !Number.isFinite(n)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, Math.abs(a - n));
    scale = Math.max(scale, Math.abs(n));
  }
  return scale === 0 ? worst : worst / scale;
}
