/** ReduceL2: y = √Σx², so ∂x = ∂y · x / y (reduced axes restored). */
import { reductionAxes, restoreReducedAxes } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for ReduceL2. */
export const reduceL2Rule: GradientRule = {
  opType: "ReduceL2",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const plan = reductionAxes(ctx);
    const [x, y] = [ctx.input(0), ctx.output(0)];
    const norm = restoreReducedAxes(ctx, y, x, plan, false);
    const dy = restoreReducedAxes(ctx, ctx.gradOutput(0)!, x, plan, true);
    return [ctx.op("Mul", [dy, ctx.op("Div", [x, norm])])];
  },
};
