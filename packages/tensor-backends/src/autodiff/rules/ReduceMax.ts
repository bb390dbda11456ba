/**
 * ReduceMax: the gradient goes to the elements equal to the maximum, split evenly between ties
 * (as PyTorch's amax does). ReduceMin reuses this.
 */
import { castTo, reductionAxes, restoreReducedAxes } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

/** Gradient of a ReduceMax/ReduceMin node: output gradient to the extremal elements, ties split evenly. */
export function extremumVjp(ctx: VjpContext): (string | undefined)[] {
  const plan = reductionAxes(ctx);
  if (plan.noop) return [ctx.gradOutput(0)];
  const [x, y] = [ctx.input(0), ctx.output(0)];
  const extremum = restoreReducedAxes(ctx, y, x, plan, false);
  const mask = castTo(ctx, ctx.op("Equal", [x, extremum]), "bool", ctx.dataTypeOf(x));
  const axes = plan.dynamic ?? (plan.axes === undefined ? undefined : ctx.int64s(plan.axes));
  const ties = ctx.op("ReduceSum", axes === undefined ? [mask] : [mask, axes], { keepdims: 1 });
  const share = ctx.op("Div", [mask, ties]);
  return [ctx.op("Mul", [restoreReducedAxes(ctx, ctx.gradOutput(0)!, x, plan, true), share])];
}

/** Gradient rule for ReduceMax. */
export const reduceMaxRule: GradientRule = {
  opType: "ReduceMax",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [0] },
  vjp: extremumVjp,
};
