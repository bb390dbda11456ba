import { checkLimit, TokenscopeError } from "@tokenscope/core";
import { legendreMarch, type QuadratureWork } from "./legendre-march.ts";

/**
 * Integration rules of integrated gradients: Captum's five, exactly as Captum defines them, and
 * `trapezoid`, the textbook trapezoid rule on the same nodes as `riemann_trapezoid`, whose weights
 * sum to 1 where Captum's sum to (n − 1)/n.
 */
export const integrationMethods = [
  "gausslegendre",
  "riemann_trapezoid",
  "riemann_left",
  "riemann_right",
  "riemann_middle",
  "trapezoid",
] as const;

/** Rules that need at least two points (both trapezoids). */
export function needsTwoPoints(method: IntegrationMethod): boolean {
  return method === "riemann_trapezoid" || method === "trapezoid";
}

/** One of {@link integrationMethods}. */
export type IntegrationMethod = (typeof integrationMethods)[number];

/** Nodes α in [0, 1] and weights of a quadrature rule for ∫₀¹ g(α) dα ≈ Σ w_k g(α_k). */
export interface Quadrature {
  alphas: Float64Array;
  weights: Float64Array;
}

/** Up to this many points the rule comes from Newton's method on the recurrence (bit-identical to before). */
const NEWTON_POINTS = 256;

/**
 * Gauss–Legendre nodes and weights on [−1, 1] by Newton's method on P_n, from
 * the Chebyshev-like initial guesses cos(π (i + 3/4) / (n + 1/2)); converges
 * to machine precision in a few iterations for every n. Exact for polynomials
 * of degree ≤ 2n − 1. Each evaluation of P_n runs the three-term recurrence,
 * so the work grows as n²: only for small n.
 */
export function newtonGaussLegendre(n: number, work?: QuadratureWork): Quadrature {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) and P_{n−1}(x) by the three-term recurrence.
      let current = 1;
      let previous = 0;
      for (let k = 1; k <= n; k++) {
        const next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
        previous = current;
        current = next;
      }
      if (work) work.iterations += n;
      derivative = (n * (x * current - previous)) / (x * x - 1);
      const step = current / derivative;
      x -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    const weight = 2 / ((1 - x * x) * derivative * derivative);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weight;
    weights[n - 1 - i] = weight;
  }
  return { alphas: nodes, weights };
}

/**
 * Gauss–Legendre nodes (ascending) and weights on [−1, 1], exact for polynomials of degree
 * ≤ 2n − 1: Newton's method on the recurrence up to 256 points, above that {@link legendreMarch},
 * whose work is linear in n (10,000 points in milliseconds rather than seconds). `work`, when
 * given, counts inner-loop iterations (for tests and benchmarks).
 */
export function gaussLegendre(n: number, work?: QuadratureWork): Quadrature {
  if (n <= NEWTON_POINTS) return newtonGaussLegendre(n, work);
  const { nodes, weights } = legendreMarch(n, work);
  return { alphas: nodes, weights };
}

/**
 * The quadrature rule `method` with `n` points, mapped to [0, 1]. Riemann rules are Captum's: nodes k/n,
 * (k + 1)/n or (k + ½)/n with weights 1/n; `riemann_trapezoid` has nodes k/(n − 1) and weights 1/n with
 * halved ends, so they sum to (n − 1)/n (Captum's, kept for parity: integrated gradients with it is
 * short of completeness by a factor (n − 1)/n). `trapezoid` is the textbook rule on the same nodes,
 * weights 1/(n − 1) with halved ends, summing to 1. Every rule takes work linear in `n`.
 */
export function quadrature(method: IntegrationMethod, n: number, work?: QuadratureWork): Quadrature {
  const least = needsTwoPoints(method) ? 2 : 1;
  if (!Number.isInteger(n) || n < least) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `${method} needs an integer number of points ≥ ${least}, got ${n}.`,
      {
        hint: "Raise n_steps.",
        details: { method, n_steps: n },
      },
    );
  }
  checkLimit("integrationSteps", n, `${method} with ${n} points`);
  if (method === "gausslegendre") {
    const { alphas, weights } = gaussLegendre(n, work);
    return { alphas: alphas.map((x) => (x + 1) / 2), weights: weights.map((w) => w / 2) };
  }
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n).fill(1 / n);
  for (let k = 0; k < n; k++) {
    if (method === "riemann_left") alphas[k] = k / n;
    else if (method === "riemann_right") alphas[k] = (k + 1) / n;
    else if (method === "riemann_middle") alphas[k] = (k + 0.5) / n;
    else {
      alphas[k] = k / (n - 1);
      const interval = method === "trapezoid" ? 1 / (n - 1) : 1 / n;
      weights[k] = k === 0 || k === n - 1 ? interval / 2 : interval;
    }
  }
  return { alphas, weights };
}
