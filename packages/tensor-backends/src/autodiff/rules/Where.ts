/** Where: the gradient goes to x where the condition holds and to y elsewhere; the condition carries none. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Where. */
export const whereRule: GradientRule = {
  opType: "Where",
  domain: "",
  differentiableInputs: [1, 2],
  needs: { inputs: [0, 1, 2], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [condition, y] = [ctx.input(0), ctx.output(0)];
    const zero = ctx.scalarLike(0, y);
    return [
      undefined,
      ctx.wantsGrad(1)
        ? unbroadcast(ctx, ctx.op("Where", [condition, dy, zero]), y, ctx.input(1))
        : undefined,
      ctx.wantsGrad(2)
        ? unbroadcast(ctx, ctx.op("Where", [condition, zero, dy]), y, ctx.input(2))
        : undefined,
    ];
  },
};
