/** Sub: y = a − b. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Sub. */
export const subRule: GradientRule = {
  opType: "Sub",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const y = ctx.output(0);
    return [
      ctx.wantsGrad(0) ? unbroadcast(ctx, dy, y, ctx.input(0)) : undefined,
      ctx.wantsGrad(1) ? unbroadcast(ctx, ctx.op("Neg", [dy]), y, ctx.input(1)) : undefined,
    ];
  },
};
