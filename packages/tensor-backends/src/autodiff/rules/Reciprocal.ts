/** Reciprocal: y = 1/x; ∂y/∂x = −y². */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Reciprocal. */
export const reciprocalRule: GradientRule = {
  opType: "Reciprocal",
  domain: "",
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const y = ctx.output(0);
    return [ctx.op("Neg", [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.op("Mul", [y, y])])])];
  },
};
