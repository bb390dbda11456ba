/**
 * Clip: the gradient passes where min ≤ x ≤ max; below min it goes to min, above max to max
 * (summed over their broadcast axes).
 */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Clip. */
export const clipRule: GradientRule = {
  opType: "Clip",
  domain: "",
  needs: { inputs: [0, 1, 2], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [x, y] = [ctx.input(0), ctx.output(0)];
    const zero = ctx.scalarLike(0, x);
    const low = ctx.hasInput(1) ? ctx.input(1) : undefined;
    const high = ctx.hasInput(2) ? ctx.input(2) : undefined;
    const below = low === undefined ? undefined : ctx.op("Less", [x, low]);
    const above = high === undefined ? undefined : ctx.op("Greater", [x, high]);
    const outside = below && above ? ctx.op("Or", [below, above]) : (below ?? above);
    const dx = outside === undefined ? dy : ctx.op("Where", [outside, zero, dy]);
    const routed = (mask: string | undefined, bound: string | undefined) =>
      mask === undefined || bound === undefined
        ? undefined
        : unbroadcast(ctx, ctx.op("Where", [mask, dy, zero]), y, bound);
    return [
      ctx.wantsGrad(0) ? dx : undefined,
      ctx.wantsGrad(1) ? routed(below, low) : undefined,
      ctx.wantsGrad(2) ? routed(above, high) : undefined,
    ];
  },
};
