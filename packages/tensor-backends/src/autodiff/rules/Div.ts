/** Div: y = a / b; ∂y/∂a = 1/b, ∂y/∂b = −y/b. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Div. */
export const divRule: GradientRule = {
  opType: "Div",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [a, b, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    const da = ctx.wantsGrad(0) ? unbroadcast(ctx, ctx.op("Div", [dy, b]), y, a) : undefined;
    const db = ctx.wantsGrad(1)
      ? unbroadcast(ctx, ctx.op("Neg", [ctx.op("Div", [ctx.op("Mul", [dy, y]), b])]), y, b)
      : undefined;
    return [da, db];
  },
};
