/** CumSum: the gradient is the cumulative sum of the output gradient in the opposite direction. */
import type { GradientRule } from "../types.ts";

/** Gradient rule for CumSum. */
export const cumSumRule: GradientRule = {
  opType: "CumSum",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [1], outputs: [] },
  vjp(ctx) {
    const axisInput = ctx.input(1);
    let axis = axisInput;
    if (ctx.k === 1) {
      const constant = ctx.constInts(axisInput);
      const dataType = ctx.dataTypeOf(axisInput);
      if (constant !== undefined) {
        axis = ctx.constant([constant[0]! >= 0 ? constant[0]! + 1 : constant[0]!], dataType, []);
      } else {
        const zero = ctx.constant([0], dataType, []);
        const one = ctx.constant([1], dataType, []);
        axis = ctx.op("Where", [
          ctx.op("Less", [axisInput, zero]),
          axisInput,
          ctx.op("Add", [axisInput, one]),
        ]);
      }
    }
    const reverse = ctx.attr.int("reverse", 0) === 1 ? 0 : 1;
    return [
      ctx.op("CumSum", [ctx.gradOutput(0)!, axis], { exclusive: ctx.attr.int("exclusive", 0), reverse }),
    ];
  },
};
