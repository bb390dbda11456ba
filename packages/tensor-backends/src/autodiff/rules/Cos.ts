/** Cos: ∂y/∂x = −sin x. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Cos. */
export const cosRule: GradientRule = {
  opType: "Cos",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [ctx.op("Neg", [ctx.op("Mul", [ctx.gradOutput(0)!, ctx.op("Sin", [ctx.input(0)])])])],
};
