/**
 * Slice: the same Slice applied to a map of element positions tells where each output element came
 * from; the gradient is scattered back to those positions (any steps, negative ones included, and
 * run-time starts/ends work alike).
 */
import { scatterToPositions } from "../scatter.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Slice. */
export const sliceRule: GradientRule = {
  opType: "Slice",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: "all", outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const positions = (map: string) =>
      ctx.op("Slice", [map, ...ctx.node.inputs.slice(1).map((_, index) => ctx.input(index + 1))]);
    return [scatterToPositions(ctx, ctx.gradOutput(0)!, x, positions, false)];
  },
};
