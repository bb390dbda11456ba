/** Sum (variadic, broadcasting): every input gets the output gradient, unbroadcast to its shape. */
import { unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Sum. */
export const sumRule: GradientRule = {
  opType: "Sum",
  domain: "",
  needs: { inputs: "all", outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    return ctx.node.inputs.map((_, slot) =>
      ctx.wantsGrad(slot) ? unbroadcast(ctx, dy, ctx.output(0), ctx.input(slot)) : undefined,
    );
  },
};
