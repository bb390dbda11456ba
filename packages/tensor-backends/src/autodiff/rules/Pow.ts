/**
 * Pow: y = a^b; ∂y/∂a = b·a^(b−1), ∂y/∂b = y·ln a. The exponent may have another float type than the
 * base (allowed since opset 12), so it is cast before it meets the gradient.
 */
import { castTo, unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Pow. */
export const powRule: GradientRule = {
  opType: "Pow",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [a, b, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    const aType = ctx.dataTypeOf(a);
    const bType = ctx.dataTypeOf(b);
    const exponent = castTo(ctx, b, bType, aType);
    let da: string | undefined;
    if (ctx.wantsGrad(0)) {
      const lowered = ctx.op("Pow", [a, ctx.op("Sub", [exponent, ctx.scalarLike(1, a)])]);
      da = unbroadcast(ctx, ctx.op("Mul", [dy, ctx.op("Mul", [exponent, lowered])]), y, a);
    }
    let db: string | undefined;
    if (ctx.wantsGrad(1)) {
      const local = ctx.op("Mul", [y, ctx.op("Log", [a])]);
      db = castTo(ctx, unbroadcast(ctx, ctx.op("Mul", [dy, local]), y, b), aType, bType);
    }
    return [da, db];
  },
};
