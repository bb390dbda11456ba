/** Sigmoid: ∂y/∂x = y(1 − y). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Sigmoid. */
export const sigmoidRule: GradientRule = {
  opType: "Sigmoid",
  domain: "",
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const y = ctx.output(0);
    const local = ctx.op("Mul", [y, ctx.op("Sub", [ctx.scalarLike(1, y), y])]);
    return [ctx.op("Mul", [ctx.gradOutput(0)!, local])];
  },
};
