/** Add: y = a + b. Each input gets the output gradient, summed over the axes it was broadcast along. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Add. */
export const addRule: GradientRule = {
  opType: "Add",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const y = ctx.output(0);
    return [0, 1].map((slot) => (ctx.wantsGrad(slot) ? unbroadcast(ctx, dy, y, ctx.input(slot)) : undefined));
  },
};
