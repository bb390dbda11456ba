/**
 * Dropout at inference (the only mode a gradient graph is built for): output 0 is the input, so the
 * gradient passes unchanged; the mask output and the ratio/training_mode inputs carry none.
 */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Dropout (inference). */
export const dropoutRule: GradientRule = {
  opType: "Dropout",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [], outputs: [] },
  vjp: (ctx) => [ctx.gradOutput(0)],
};
