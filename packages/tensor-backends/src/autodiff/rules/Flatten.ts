/** Flatten: the gradient is reshaped back to the input's shape. */
import { reshapeToGrad } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Flatten. */
export const flattenRule: GradientRule = {
  opType: "Flatten",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [reshapeToGrad(ctx, ctx.gradOutput(0)!, ctx.input(0))],
};
