/** z of a two-sided 95% normal interval, rounded as usually quoted (1.96). */
export const NORMAL_Z_95 = 1.96;

/**
 * Mean of a sample with a normal-approximation confidence interval, mean ± z·sd/√n (sd the sample
 * standard deviation, n − 1 in the denominator). Values that are not finite are left out (and
 * counted in `dropped`). JSON-safe: undefined quantities are null.
 */
export interface MeanEstimate {
  mean: number | null;
  /** Sample standard deviation; null for fewer than two values. */
  sd: number | null;
  n: number;
  /** z·sd/√n; null for fewer than two values. */
  halfWidth: number | null;
  low: number | null;
  high: number | null;
  /** Values left out because they were NaN or infinite. */
  dropped: number;
}

/** The {@link MeanEstimate} of `values` with a z-interval (default z = 1.96, 95%). */
export function meanWithInterval(values: readonly number[], z: number = NORMAL_Z_95): MeanEstimate {
  const finite = values.filter((value) => Number.isFinite(value));
  const n = finite.length;
  const dropped = values.length - n;
  if (n === 0) return { mean: null, sd: null, n, halfWidth: null, low: null, high: null, dropped };
  const mean = finite.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { mean, sd: null, n, halfWidth: null, low: null, high: null, dropped };
  const variance = finite.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const sd = Math.sqrt(variance);
  const halfWidth = (z * sd) / Math.sqrt(n);
  return { mean, sd, n, halfWidth, low: mean - halfWidth, high: mean + halfWidth, dropped };
}

/**
 * The difference a − b of two samples: paired (per-item differences, when both have the same length:
 * the baseline was computed on the same items) or, otherwise, Welch's unpaired difference of means
 * with half-width z·√(sa²/na + sb²/nb).
 */
export function differenceWithInterval(
  a: readonly number[],
  b: readonly number[],
  z: number = NORMAL_Z_95,
): MeanEstimate & { paired: boolean } {
  if (a.length === b.length) {
    const differences = a.map((value, i) => value - b[i]!);
    return { ...meanWithInterval(differences, z), paired: true };
  }
  const ea = meanWithInterval(a, z);
  const eb = meanWithInterval(b, z);
  const n = Math.min(ea.n, eb.n);
  const dropped = ea.dropped + eb.dropped;
  if (ea.mean === null || eb.mean === null) {
    return { mean: null, sd: null, n, halfWidth: null, low: null, high: null, dropped, paired: false };
  }
  const mean = ea.mean - eb.mean;
  if (ea.sd === null || eb.sd === null) {
    return { mean, sd: null, n, halfWidth: null, low: null, high: null, dropped, paired: false };
  }
  const se = Math.sqrt(ea.sd ** 2 / ea.n + eb.sd ** 2 / eb.n);
  const halfWidth = z * se;
  return {
    mean,
    sd: null,
    n,
    halfWidth,
    low: mean - halfWidth,
    high: mean + halfWidth,
    dropped,
    paired: false,
  };
}
