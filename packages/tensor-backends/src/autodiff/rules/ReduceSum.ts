/** ReduceSum: every reduced element gets the output gradient (reduced axes restored, then expanded). */
import { gradShapeOf, reductionAxes, restoreReducedAxes } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for ReduceSum. */
export const reduceSumRule: GradientRule = {
  opType: "ReduceSum",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const plan = reductionAxes(ctx);
    if (plan.noop) return [ctx.gradOutput(0)];
    const x = ctx.input(0);
    const kept = restoreReducedAxes(ctx, ctx.gradOutput(0)!, x, plan, true);
    return [ctx.op("Expand", [kept, gradShapeOf(ctx, x)])];
  },
};
