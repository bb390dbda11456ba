/** Counts the inner-loop iterations of a quadrature setup, so tests can check how its work grows. */
export interface QuadratureWork {
  iterations: number;
}

/** Most Taylor terms per step; the series is cut earlier once its terms vanish. */
const MAX_TERMS = 80;

/**
 * Taylor coefficients s_k = P_n^(k)(x) · scale^k / k! at x = 1 − `complement`, from P_n(x) = `value`
 * and P_n′(x) = `slope`, by Legendre's equation (1 − x²) y″ − 2x y′ + n(n + 1) y = 0 differentiated
 * k times. The complement is carried instead of x because 1 − x² = c(2 − c) keeps its digits next to
 * x = 1, where the end weights are decided. Returns how many terms were written to `out`.
 */
function taylorCoefficients(
  n: number,
  complement: number,
  value: number,
  slope: number,
  scale: number,
  out: Float64Array,
  work: QuadratureWork | undefined,
): number {
  const x = 1 - complement;
  const q = complement * (2 - complement);
  out[0] = value;
  out[1] = slope * scale;
  const size = Math.abs(out[0]!) + Math.abs(out[1]!);
  let count = 2;
  let negligible = 0;
  for (let k = 0; k + 2 < MAX_TERMS; k++) {
    const next =
      (((2 * x * (k + 1)) / (k + 2)) * scale * out[k + 1]! -
        (((n - k) * (n + k + 1)) / ((k + 1) * (k + 2))) * scale * scale * out[k]!) /
      q;
    out[k + 2] = next;
    count = k + 3;
    if (work) work.iterations++;
    // Three vanishing terms in a row: the rest of a convergent series is below rounding.
    if (Math.abs(next) <= 1e-18 * size) {
      if (++negligible === 3) break;
    } else negligible = 0;
  }
  return count;
}

/** The series and its derivative (per unit of t) at t, by Horner's rule. */
function evaluateSeries(coefficients: Float64Array, count: number, t: number): [number, number] {
  let value = 0;
  let slope = 0;
  for (let k = count - 1; k >= 1; k--) {
    value = value * t + coefficients[k]!;
    slope = slope * t + k * coefficients[k]!;
  }
  return [value * t + coefficients[0]!, slope];
}

/** P_n(0) and P_n′(0) = n P_{n−1}(0), from P_{k+1}(0) = −k/(k + 1) P_{k−1}(0): O(n). */
function legendreAtZero(n: number): [number, number] {
  let previous = 1;
  let current = 0;
  for (let k = 1; k < n; k++) {
    const next = (-k / (k + 1)) * previous;
    previous = current;
    current = next;
  }
  return [n === 0 ? 1 : current, n * previous];
}

/**
 * Gauss–Legendre nodes (ascending) and weights on [−1, 1] in O(n) (Glaser, Liu & Rokhlin 2007):
 * from x = 0, where P_n and P_n′ are known, march root to root toward x = 1 with Taylor series of
 * P_n built from Legendre's equation, each root found by Newton's method on the series from the
 * asymptotic guess cos((4j − 1)π / (4n + 2))(1 − 1/(8n²) + 1/(8n³)); the weight is
 * 2 / ((1 − x²) P_n′(x)²) and the negative half is the mirror image. Every step costs a bounded
 * number of series terms, so the whole rule is linear in n where Newton's method on the three-term
 * recurrence is quadratic. Accuracy, measured against that recurrence: nodes within 2e-15, weights
 * within about 1e-11 relative at 10,000 points (rounding accumulates along the march).
 */
export function legendreMarch(
  n: number,
  work?: QuadratureWork,
): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  let [value, slope] = legendreAtZero(n);
  let complement = 1;
  const half = Math.floor(n / 2);
  if (n % 2 === 1) weights[half] = 2 / (slope * slope);
  const coefficients = new Float64Array(MAX_TERMS);
  const a = 1 - 1 / (8 * n * n) + 1 / (8 * n * n * n);
  // Positive roots from the middle outwards: root j (counted from x = 1) goes to index n − j.
  for (let j = half; j >= 1; j--) {
    const sine = Math.sin((Math.PI * (4 * j - 1)) / (4 * n + 2) / 2);
    // 1 − a cos θ, written without cancellation.
    const scale = complement - (1 - a + 2 * a * sine * sine);
    const count = taylorCoefficients(n, complement, value, slope, scale, coefficients, work);
    let t = 1;
    for (let iteration = 0; iteration < 20; iteration++) {
      const [p, dp] = evaluateSeries(coefficients, count, t);
      const step = p / dp;
      t -= step;
      if (work) work.iterations++;
      if (Math.abs(step) < 1e-16) break;
    }
    [value, slope] = evaluateSeries(coefficients, count, t);
    slope /= scale;
    complement -= t * scale;
    const weight = 2 / (complement * (2 - complement) * slope * slope);
    nodes[n - j] = 1 - complement;
    nodes[j - 1] = complement - 1;
    weights[n - j] = weight;
    weights[j - 1] = weight;
  }
  return { nodes, weights };
}
