/** Unsqueeze: the gradient is reshaped back to the input's shape; the axes input carries none. */
import { reshapeToGrad } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Unsqueeze. */
export const unsqueezeRule: GradientRule = {
  opType: "Unsqueeze",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [reshapeToGrad(ctx, ctx.gradOutput(0)!, ctx.input(0))],
};
