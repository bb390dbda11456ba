/** LogSoftmax (opset 13 semantics): ∂x = ∂y − exp(y) ⊙ Σ_axis ∂y. */
import { gradAxis, reduce } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for LogSoftmax. */
export const logSoftmaxRule: GradientRule = {
  opType: "LogSoftmax",
  domain: "",
  sinceVersion: 13,
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const axis = gradAxis(ctx, ctx.attr.int("axis", -1));
    const total = reduce(ctx, "ReduceSum", dy, [axis], true);
    return [ctx.op("Sub", [dy, ctx.op("Mul", [ctx.op("Exp", [ctx.output(0)]), total])])];
  },
};
