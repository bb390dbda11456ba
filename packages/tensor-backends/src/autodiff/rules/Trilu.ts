/** Trilu: a mask of the last two axes, so the gradient is masked the same way (seed axes are leading). */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Trilu. */
export const triluRule: GradientRule = {
  opType: "Trilu",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [1], outputs: [] },
  vjp(ctx) {
    const inputs = ctx.hasInput(1) ? [ctx.gradOutput(0)!, ctx.input(1)] : [ctx.gradOutput(0)!];
    return [ctx.op("Trilu", inputs, { upper: ctx.attr.int("upper", 1) })];
  },
};
