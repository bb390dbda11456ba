/** Erf: ∂y/∂x = (2/√π)·exp(−x²). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Erf. */
export const erfRule: GradientRule = {
  opType: "Erf",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const gauss = ctx.op("Exp", [ctx.op("Neg", [ctx.op("Mul", [x, x])])]);
    const local = ctx.op("Mul", [gauss, ctx.scalarLike(2 / Math.sqrt(Math.PI), x)]);
    return [ctx.op("Mul", [ctx.gradOutput(0)!, local])];
  },
};
