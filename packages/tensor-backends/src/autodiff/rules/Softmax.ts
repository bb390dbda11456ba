/** Softmax (opset 13 semantics: one axis): ∂x = y ⊙ (∂y − Σ_axis ∂y ⊙ y). */
import { gradAxis, reduce } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Softmax. */
export const softmaxRule: GradientRule = {
  opType: "Softmax",
  domain: "",
  sinceVersion: 13,
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const y = ctx.output(0);
    const axis = gradAxis(ctx, ctx.attr.int("axis", -1));
    const dot = reduce(ctx, "ReduceSum", ctx.op("Mul", [dy, y]), [axis], true);
    return [ctx.op("Mul", [y, ctx.op("Sub", [dy, dot])])];
  },
};
