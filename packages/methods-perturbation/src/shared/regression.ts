import type { YieldPoint } from "@tokenscope/core";
import { Matrix, solve } from "ml-matrix";
import type { CoalitionMatrix } from "./coalition-matrix.ts";

/** Solves the small symmetric system `a x = b` (SVD: the minimum-norm solution when `a` is singular). */
function solveNormalEquations(a: number[][], b: number[]): number[] {
  if (b.length === 0) return [];
  return solve(new Matrix(a), Matrix.columnVector(b), true).getColumn(0);
}

/**
 * Weighted ridge regression with an unpenalised intercept (scikit-learn's
 * `Ridge(alpha, fit_intercept=True)` with sample weights, as LIME uses):
 * minimises Σ_k w_k (y_k − b − x_k·β)² + alpha ‖β‖², by centring on the
 * weighted means and solving (Xcᵀ W Xc + alpha I) β = Xcᵀ W yc. The rows of
 * `design` are the samples; `point` lets the event loop in while the normal
 * equations accumulate (100,000 samples of 100 features are 10⁹ products).
 */
export async function weightedRidge(
  design: CoalitionMatrix,
  targets: ArrayLike<number>,
  weights: ArrayLike<number>,
  alpha: number,
  point?: YieldPoint,
): Promise<{ coefficients: number[]; intercept: number }> {
  const samples = targets.length;
  const { columns, data } = design;
  let weightSum = 0;
  const meanX = new Float64Array(columns);
  let meanY = 0;
  for (let k = 0; k < samples; k++) {
    const weight = weights[k]!;
    weightSum += weight;
    meanY += weight * targets[k]!;
    for (let j = 0; j < columns; j++) meanX[j]! += weight * data[k * columns + j]!;
  }
  if (weightSum <= 0) return { coefficients: new Array<number>(columns).fill(0), intercept: 0 };
  meanY /= weightSum;
  for (let j = 0; j < columns; j++) meanX[j]! /= weightSum;
  const a = Array.from({ length: columns }, (_, i) =>
    Array.from({ length: columns }, (__, j) => (i === j ? alpha : 0)),
  );
  const b = new Array<number>(columns).fill(0);
  const centred = new Float64Array(columns);
  for (let k = 0; k < samples; k++) {
    if (point?.due()) await point.pause();
    const weight = weights[k]!;
    if (weight === 0) continue;
    for (let j = 0; j < columns; j++) centred[j] = data[k * columns + j]! - meanX[j]!;
    const y = targets[k]! - meanY;
    for (let i = 0; i < columns; i++) {
      b[i]! += weight * centred[i]! * y;
      for (let j = i; j < columns; j++) a[i]![j]! += weight * centred[i]! * centred[j]!;
    }
  }
  for (let i = 0; i < columns; i++) for (let j = 0; j < i; j++) a[i]![j] = a[j]![i]!;
  const coefficients = solveNormalEquations(a, b);
  let intercept = meanY;
  for (let j = 0; j < columns; j++) intercept -= coefficients[j]! * meanX[j]!;
  return { coefficients, intercept };
}

/**
 * Weighted least squares of y ≈ z·φ (no intercept) under the linear
 * constraint Σ φ = `total` (KernelSHAP's efficiency constraint): the last
 * coefficient is eliminated as total − Σ others, the rest solved from the
 * normal equations (minimum norm when the samples do not determine them).
 * The rows of `design` are the samples; `point` as in {@link weightedRidge}.
 */
export async function constrainedLeastSquares(
  design: CoalitionMatrix,
  targets: ArrayLike<number>,
  weights: ArrayLike<number>,
  total: number,
  point?: YieldPoint,
): Promise<number[]> {
  const samples = targets.length;
  const { columns, data } = design;
  if (columns === 0) return [];
  if (columns === 1) return [total];
  const free = columns - 1;
  const a = Array.from({ length: free }, () => new Array<number>(free).fill(0));
  const b = new Array<number>(free).fill(0);
  const row = new Float64Array(free);
  for (let k = 0; k < samples; k++) {
    if (point?.due()) await point.pause();
    const weight = weights[k]!;
    if (weight === 0) continue;
    const last = data[k * columns + free]!;
    for (let j = 0; j < free; j++) row[j] = data[k * columns + j]! - last;
    const residual = targets[k]! - last * total;
    for (let i = 0; i < free; i++) {
      b[i]! += weight * row[i]! * residual;
      for (let j = i; j < free; j++) a[i]![j]! += weight * row[i]! * row[j]!;
    }
  }
  for (let i = 0; i < free; i++) for (let j = 0; j < i; j++) a[i]![j] = a[j]![i]!;
  const coefficients = solveNormalEquations(a, b);
  coefficients.push(total - coefficients.reduce((sum, value) => sum + value, 0));
  return coefficients;
}
