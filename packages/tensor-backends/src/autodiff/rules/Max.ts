/**
 * Max (variadic, broadcasting): the gradient goes to the inputs equal to the result, split evenly
 * between ties, and is summed over each input's broadcast axes. Min reuses this.
 */
import { castTo, unbroadcast } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

/** Gradient of an elementwise Max/Min node. */
export function elementwiseExtremumVjp(ctx: VjpContext): (string | undefined)[] {
  const dy = ctx.gradOutput(0)!;
  const y = ctx.output(0);
  const inputs = ctx.node.inputs.map((_, slot) => ctx.input(slot));
  if (inputs.length === 1) return [dy];
  const masks = inputs.map((x) => castTo(ctx, ctx.op("Equal", [x, y]), "bool", ctx.dataTypeOf(y)));
  const ties = ctx.op("Sum", masks);
  return inputs.map((x, slot) =>
    ctx.wantsGrad(slot)
      ? unbroadcast(ctx, ctx.op("Mul", [dy, ctx.op("Div", [masks[slot]!, ties])]), y, x)
      : undefined,
  );
}

/** Gradient rule for Max. */
export const maxRule: GradientRule = {
  opType: "Max",
  domain: "",
  needs: { inputs: "all", outputs: [0] },
  vjp: elementwiseExtremumVjp,
};
