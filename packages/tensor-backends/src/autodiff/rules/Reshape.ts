/** Reshape: the gradient is reshaped back to the input's shape; the shape input carries none. */
import { reshapeToGrad } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Reshape. */
export const reshapeRule: GradientRule = {
  opType: "Reshape",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [reshapeToGrad(ctx, ctx.gradOutput(0)!, ctx.input(0))],
};
