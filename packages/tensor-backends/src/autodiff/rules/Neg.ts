/** Neg: y = −x. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Neg. */
export const negRule: GradientRule = {
  opType: "Neg",
  domain: "",
  needs: { inputs: [], outputs: [] },
  vjp: (ctx) => [ctx.op("Neg", [ctx.gradOutput(0)!])],
};
