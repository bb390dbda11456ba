/**
 * Pad: padding a map of element positions tells where each output element came from (0 for padding);
 * the gradient is scattered back, summing repeats for edge/reflect/wrap modes. The constant value gets
 * the gradient of every padded element: the output's total minus what went back to the data.
 */
import { TensorBackendError } from "../../errors.ts";
import { reshapeToGrad } from "../helpers.ts";
import { scatterToPositions } from "../scatter.ts";
import type { GradientRule, VjpContext } from "../types.ts";

function totalPerSeed(ctx: VjpContext, value: string): string {
  const flat = ctx.op("Reshape", [
    value,
    ctx.k === 0 ? ctx.int64s([-1]) : ctx.op("Concat", [ctx.seedCount!, ctx.int64s([-1])], { axis: 0 }),
  ]);
  return ctx.op("ReduceSum", [flat, ctx.int64s([ctx.k])], { keepdims: 0 });
}

/** Gradient rule for Pad. */
export const padRule: GradientRule = {
  opType: "Pad",
  domain: "",
  differentiableInputs: [0, 2],
  needs: { inputs: "all", outputs: [] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const x = ctx.input(0);
    const mode = ctx.attr.string("mode", "constant");
    const repeats = mode !== "constant";
    if (repeats && ctx.opset < 16) {
      throw new TensorBackendError(
        "UNSUPPORTED_OPERATOR",
        `the gradient of Pad mode '${mode}' (node '${ctx.node.name}') needs opset 16`,
        {
          hint: "It sums repeated elements with ScatterElements(reduction='add'); use a model with opset >= 16 or constant padding.",
        },
      );
    }
    const axes = ctx.hasInput(3) ? [ctx.input(3)] : [];
    const move = (positions: string) => {
      const fill = repeats ? "" : ctx.constant([0], "int64", []);
      return ctx.op("Pad", [positions, ctx.input(1), fill, ...axes], { mode });
    };
    const dx = scatterToPositions(ctx, dy, x, move, repeats);
    let dValue: string | undefined;
    if (ctx.wantsGrad(2)) {
      const padded = ctx.op("Sub", [totalPerSeed(ctx, dy), totalPerSeed(ctx, dx)]);
      dValue = reshapeToGrad(ctx, padded, ctx.input(2));
    }
    return [ctx.wantsGrad(0) ? dx : undefined, undefined, dValue];
  },
};
