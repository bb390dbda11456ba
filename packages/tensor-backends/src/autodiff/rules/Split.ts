/** Split: the gradients of the pieces are concatenated back; pieces without a gradient contribute zeros. */
import { gradAxis, zerosGrad } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Split. */
export const splitRule: GradientRule = {
  opType: "Split",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [], outputs: "all" },
  vjp(ctx) {
    const pieces = ctx.node.outputs.map(
      (_, index) => ctx.gradOutput(index) ?? zerosGrad(ctx, ctx.output(index)),
    );
    return [ctx.op("Concat", pieces, { axis: gradAxis(ctx, ctx.attr.int("axis", 0)) })];
  },
};
