/** Identity: the gradient passes unchanged. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for Identity. */
export const identityRule: GradientRule = {
  opType: "Identity",
  domain: "",
  needs: { inputs: [], outputs: [] },
  vjp: (ctx) => [ctx.gradOutput(0)!],
};
