/** ReduceSumSquare: y = Σx², so ∂x = 2x · ∂y (reduced axes restored). */
import { reductionAxes, restoreReducedAxes } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for ReduceSumSquare. */
export const reduceSumSquareRule: GradientRule = {
  opType: "ReduceSumSquare",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const plan = reductionAxes(ctx);
    const x = ctx.input(0);
    const dy = restoreReducedAxes(ctx, ctx.gradOutput(0)!, x, plan, true);
    return [ctx.op("Mul", [dy, ctx.op("Mul", [x, ctx.scalarLike(2, x)])])];
  },
};
