import { buildGradientGraph } from "@tokenscope/tensor-backends";
import { describe, expect, it } from "vitest";
import { refErf } from "../../testing/reference-math.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { createGraphContext } from "../context.ts";
import { floatTensor, sessionOf } from "../run.test-helpers.ts";
import { erfFloat64 } from "./erf-float64.ts";

/** A float64 graph y = erf(x) over a vector. */
function erfGraph(length: number) {
  const ctx = createGraphContext(
    { config: {}, tensors: new Map() } as unknown as DecoderWeights,
    "float64",
    "erf",
  );
  const g = ctx.builder;
  const x = g.input("x", "float64", [length]);
  g.output(ctx.op("Identity", [erfFloat64(ctx, x)], {}, "y"), "float64", [length]);
  return g.build();
}

// erf to 17 significant digits (Abramowitz & Stegun, Table 7.1; DLMF 7.2), odd in x.
const published: [number, number][] = [
  [0, 0],
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753106],
  [2, 0.9953222650189527],
  [3, 0.9999779095030014],
  [-1, -0.8427007929497149],
  [4, 0.9999999845827421],
  [8, 1],
  [-30, -1],
];

describe("erfFloat64", () => {
  it("equals published values of erf to 2e-15, and the reference's continued fraction (itself good to ~2e-14 near 3) to 5e-14", async () => {
    const xs = published.map(([x]) => x);
    const session = await sessionOf(erfGraph(xs.length));
    const y = (await session.run({ x: floatTensor(xs, [xs.length], "float64") }))["y"]!.data as Float64Array;
    published.forEach(([x, value], index) => {
      expect(Math.abs(y[index]! - value), `erf(${x})`).toBeLessThan(2e-15);
    });
    const grid = Array.from({ length: 241 }, (_, index) => -6 + index * 0.05);
    const gridSession = await sessionOf(erfGraph(grid.length));
    const values = (await gridSession.run({ x: floatTensor(grid, [grid.length], "float64") }))["y"]!
      .data as Float64Array;
    grid.forEach((x, index) => {
      expect(Math.abs(values[index]! - refErf(x)), `erf(${x})`).toBeLessThan(5e-14);
    });
  });

  it("differentiates through the autodiff to 2/√π e^(−x²)", async () => {
    const xs = [-2.5, -1, -0.3, 0, 0.7, 1.9, 3.2];
    const gradient = buildGradientGraph(erfGraph(xs.length), { of: ["y"], wrt: ["x"] });
    const outputs = await (await sessionOf(gradient)).run({
      x: floatTensor(xs, [xs.length], "float64"),
      y_grad: floatTensor(
        xs.map(() => 1),
        [xs.length],
        "float64",
      ),
    });
    const dx = outputs["x_grad"]!.data as Float64Array;
    xs.forEach((x, index) => {
      const exact = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
      expect(Math.abs(dx[index]! - exact), `erf'(${x})`).toBeLessThan(1e-14);
    });
  });
});
