import { describe, expect, it } from "vitest";
import { coalitionMatrixOf } from "./coalition-matrix.ts";
import { constrainedLeastSquares, weightedRidge } from "./regression.ts";

const matrix = (rows: number[][], columns = rows[0]?.length ?? 0) => coalitionMatrixOf(rows, columns);

describe("weightedRidge", async () => {
  it("fits exact linear data exactly without penalty", async () => {
    const design = [
      [1, 0, 1],
      [0, 1, 1],
      [1, 1, 0],
      [0, 0, 1],
      [1, 1, 1],
    ];
    const truth = [2, -1, 0.5];
    const targets = design.map((x) => 3 + x.reduce((sum, value, j) => sum + value * truth[j]!, 0));
    const fit = await weightedRidge(matrix(design), targets, [1, 2, 0.5, 1, 3], 0);
    fit.coefficients.forEach((value, j) => {
      expect(value).toBeCloseTo(truth[j]!, 10);
    });
    expect(fit.intercept).toBeCloseTo(3, 10);
  });

  it("matches the closed form of a one-feature weighted ridge with a free intercept", async () => {
    const x = [0, 1, 1, 0, 1];
    const y = [1, 3, 2.5, 0.5, 4];
    const w = [1, 0.5, 2, 1, 1];
    const alpha = 1;
    const W = w.reduce((a, b) => a + b, 0);
    const mx = x.reduce((sum, value, k) => sum + w[k]! * value, 0) / W;
    const my = y.reduce((sum, value, k) => sum + w[k]! * value, 0) / W;
    const sxy = x.reduce((sum, value, k) => sum + w[k]! * (value - mx) * (y[k]! - my), 0);
    const sxx = x.reduce((sum, value, k) => sum + w[k]! * (value - mx) ** 2, 0);
    const beta = sxy / (sxx + alpha);
    const fit = await weightedRidge(matrix(x.map((value) => [value])), y, w, alpha);
    expect(fit.coefficients[0]).toBeCloseTo(beta, 12);
    expect(fit.intercept).toBeCloseTo(my - beta * mx, 12);
  });
});

describe("constrainedLeastSquares", async () => {
  it("meets the constraint exactly and equals the unconstrained fit when the data satisfy it", async () => {
    const design = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [0, 1, 1],
    ];
    const truth = [1.5, -0.5, 2];
    const targets = design.map((x) => x.reduce((sum, value, j) => sum + value * truth[j]!, 0));
    const exact = await constrainedLeastSquares(matrix(design), targets, [1, 1, 1, 1, 1], 3);
    exact.forEach((value, j) => {
      expect(value).toBeCloseTo(truth[j]!, 12);
    });
    const forced = await constrainedLeastSquares(matrix(design), targets, [1, 1, 1, 1, 1], 10);
    expect(forced.reduce((a, b) => a + b, 0)).toBeCloseTo(10, 12);
  });

  it("handles one and zero features", async () => {
    expect(await constrainedLeastSquares(matrix([[1]]), [4], [1], 2.5)).toEqual([2.5]);
    expect(await constrainedLeastSquares(matrix([]), [], [], 0)).toEqual([]);
  });
});
