/**
 * A score with `digits` decimals; "" for an empty cell. "-0.00" is printed
 * "0.00" (it reads as a negative score that is not there), and non-finite
 * values as "NaN", "+∞" and "-∞" so that a broken cell stays narrow and visible.
 */
export function formatScore(score: number | null | undefined, digits: number): string {
  if (score === null || score === undefined) return "";
  if (Number.isNaN(score)) return "NaN";
  if (score === Number.POSITIVE_INFINITY) return "+∞";
  if (score === Number.NEGATIVE_INFINITY) return "-∞";
  const text = score.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}
