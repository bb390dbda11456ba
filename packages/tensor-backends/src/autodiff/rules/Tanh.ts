/** Tanh: ∂y/∂x = 1 − y². */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Tanh. */
export const tanhRule: GradientRule = {
  opType: "Tanh",
  domain: "",
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const y = ctx.output(0);
    const local = ctx.op("Sub", [ctx.scalarLike(1, y), ctx.op("Mul", [y, y])]);
    return [ctx.op("Mul", [ctx.gradOutput(0)!, local])];
  },
};
