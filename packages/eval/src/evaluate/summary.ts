/** Mean and standard error of per-sample values (nulls left out); se is null for fewer than 2 values. */
export function meanWithError(values: readonly (number | null)[]): {
  mean: number | null;
  se: number | null;
} {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (present.length === 0) return { mean: null, se: null };
  const mean = present.reduce((sum, value) => sum + value, 0) / present.length;
  if (present.length < 2) return { mean, se: null };
  let squares = 0;
  for (const value of present) squares += (value - mean) ** 2;
  return { mean, se: Math.sqrt(squares / (present.length - 1) / present.length) };
}

/**
 * ReAGent's sequence-level metric: log(Σ_t value_t / Σ_t rand_t) over the steps where both are known
 * (its notebook's `torch.log(torch.sum(source_soft_ns_all) / torch.sum(random_soft_ns_all))`, and
 * `math.log(suff_mean / random_suff_mean)` in `summarise_sequencelevel.py`; the ratio of sums equals the
 * ratio of means). Positive when the attribution beats the random baseline. Null when the ratio is not
 * positive and finite (a random sum of 0, as happens when every random soft-NS is clipped to 0).
 */
export function logRatio(
  values: readonly (number | null)[],
  random: readonly (number | null)[],
): number | null {
  let sum = 0;
  let randomSum = 0;
  values.forEach((value, t) => {
    const baseline = random[t];
    if (value === null || baseline === null || baseline === undefined) return;
    sum += value;
    randomSum += baseline;
  });
  const ratio = sum / randomSum;
  return Number.isFinite(ratio) && ratio > 0 ? Math.log(ratio) : null;
}

/** Mean over steps of one key (nulls left out); for `_se` keys the error of that mean, √(Σ se²)/T. */
export function sequenceValue(key: string, values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return null;
  if (key.endsWith("_se")) return Math.sqrt(present.reduce((sum, se) => sum + se * se, 0)) / present.length;
  return present.reduce((sum, value) => sum + value, 0) / present.length;
}
