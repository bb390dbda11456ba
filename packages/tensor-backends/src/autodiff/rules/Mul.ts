/** Mul: y = a · b; ∂y/∂a = b, ∂y/∂b = a. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Mul. */
export const mulRule: GradientRule = {
  opType: "Mul",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [a, b, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    return [
      ctx.wantsGrad(0) ? unbroadcast(ctx, ctx.op("Mul", [dy, b]), y, a) : undefined,
      ctx.wantsGrad(1) ? unbroadcast(ctx, ctx.op("Mul", [dy, a]), y, b) : undefined,
    ];
  },
};
