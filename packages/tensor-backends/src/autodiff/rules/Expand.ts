/** Expand: broadcasting copies, so the gradient is summed back over the expanded axes. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Expand. */
export const expandRule: GradientRule = {
  opType: "Expand",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0], outputs: [0] },
  vjp: (ctx) => [unbroadcast(ctx, ctx.gradOutput(0)!, ctx.output(0), ctx.input(0))],
};
