/**
 * Tile: output axis i holds repeats[i] copies of input axis i, so the gradient is viewed as
 * [r0, d0, r1, d1, ...] and summed over the repeat axes.
 */
import { requireRank } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Tile. */
export const tileRule: GradientRule = {
  opType: "Tile",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const [x, repeats] = [ctx.input(0), ctx.input(1)];
    const rank = requireRank(ctx, x);
    const column = (value: string) => ctx.op("Unsqueeze", [value, ctx.int64s([1])]);
    const pairs = ctx.op("Concat", [column(repeats), column(ctx.op("Shape", [x]))], { axis: 1 });
    let interleaved = ctx.op("Reshape", [pairs, ctx.int64s([-1])]);
    if (ctx.k === 1) interleaved = ctx.op("Concat", [ctx.seedCount!, interleaved], { axis: 0 });
    const blocks = ctx.op("Reshape", [ctx.gradOutput(0)!, interleaved]);
    const repeatAxes = Array.from({ length: rank }, (_, index) => 2 * index + ctx.k);
    return [ctx.op("ReduceSum", [blocks, ctx.int64s(repeatAxes)], { keepdims: 0 })];
  },
};
