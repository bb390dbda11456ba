/** Log: y = ln x; ∂y/∂x = 1/x. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Log. */
export const logRule: GradientRule = {
  opType: "Log",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [ctx.op("Div", [ctx.gradOutput(0)!, ctx.input(0)])],
};
