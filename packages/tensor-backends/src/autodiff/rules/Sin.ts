/** Sin: ∂y/∂x = cos x. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Sin. */
export const sinRule: GradientRule = {
  opType: "Sin",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.op("Cos", [ctx.input(0)])])],
};
