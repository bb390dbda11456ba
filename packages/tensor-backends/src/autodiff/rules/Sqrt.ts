/** Sqrt: y = √x; ∂y/∂x = 1 / (2y). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Sqrt. */
export const sqrtRule: GradientRule = {
  opType: "Sqrt",
  domain: "",
  needs: { inputs: [], outputs: [0] },
  vjp(ctx) {
    const y = ctx.output(0);
    return [ctx.op("Div", [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.scalarLike(0.5, y)]), y])];
  },
};
