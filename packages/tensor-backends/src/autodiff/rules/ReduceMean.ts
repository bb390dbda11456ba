/** ReduceMean: every reduced element gets the output gradient divided by the number of reduced elements. */
import { ONNX_DATA_TYPE } from "../../graph/dtypes.ts";
import { gradShapeOf, reductionAxes, restoreReducedAxes } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for ReduceMean. */
export const reduceMeanRule: GradientRule = {
  opType: "ReduceMean",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const plan = reductionAxes(ctx);
    if (plan.noop) return [ctx.gradOutput(0)];
    const [x, y] = [ctx.input(0), ctx.output(0)];
    const ratio = ctx.op("Div", [ctx.op("Size", [x]), ctx.op("Size", [y])]);
    const count = ctx.op("Cast", [ratio], { to: ONNX_DATA_TYPE[ctx.dataTypeOf(x)] });
    const kept = restoreReducedAxes(ctx, ctx.op("Div", [ctx.gradOutput(0)!, count]), x, plan, true);
    return [ctx.op("Expand", [kept, gradShapeOf(ctx, x)])];
  },
};
