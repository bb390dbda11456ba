/** Abs: ∂y/∂x = sign x (0 at x = 0). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Abs. */
export const absRule: GradientRule = {
  opType: "Abs",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.op("Sign", [ctx.input(0)])])],
};
