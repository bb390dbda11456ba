/** Relu: the gradient passes where x > 0 (0 at x = 0, as in PyTorch). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Relu. */
export const reluRule: GradientRule = {
  opType: "Relu",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const zero = ctx.scalarLike(0, x);
    return [ctx.op("Where", [ctx.op("Greater", [x, zero]), ctx.gradOutput(0)!, zero])];
  },
};
