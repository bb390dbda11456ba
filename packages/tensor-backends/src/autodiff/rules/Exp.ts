/** Exp: y = eˣ; ∂y/∂x = y. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Exp. */
export const expRule: GradientRule = {
  opType: "Exp",
  domain: "",
  needs: { inputs: [], outputs: [0] },
  vjp: (ctx) => [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.output(0)])],
};
