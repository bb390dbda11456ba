/**
 * GatherElements: the gradient is scattered back to the gathered positions, summing repeats.
 * Opset 16+ uses ScatterElements(reduction='add'); earlier opsets compare the indices against a
 * range along the axis (one-hot) and sum, which assumes the indices match the data on the other axes.
 */
import { castTo, gradAxis, requireRank, zerosGrad } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for GatherElements. */
export const gatherElementsRule: GradientRule = {
  opType: "GatherElements",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [x, indices] = [ctx.input(0), ctx.input(1)];
    const rank = requireRank(ctx, x);
    const rawAxis = ctx.attr.int("axis", 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    if (ctx.opset >= 16) {
      const spread = ctx.k === 0 ? indices : ctx.op("Expand", [indices, ctx.op("Shape", [dy])]);
      return [
        ctx.op("ScatterElements", [zerosGrad(ctx, x), spread, dy], {
          axis: gradAxis(ctx, axis),
          reduction: "add",
        }),
      ];
    }
    const scalar = (value: number) => ctx.constant([value], "int64", []);
    const depth = ctx.op("Gather", [ctx.op("Shape", [x]), scalar(axis)], { axis: 0 });
    const wide = castTo(ctx, indices, ctx.dataTypeOf(indices), "int64");
    const wrapped = ctx.op("Where", [ctx.op("Less", [wide, scalar(0)]), ctx.op("Add", [wide, depth]), wide]);
    const column = ctx.op("Reshape", [
      ctx.op("Range", [scalar(0), depth, scalar(1)]),
      ctx.int64s([-1, ...new Array(rank - 1 - axis).fill(1)]),
    ]);
    const hits = ctx.op("Equal", [ctx.op("Unsqueeze", [wrapped, ctx.int64s([axis + 1])]), column]);
    const oneHot = castTo(ctx, hits, "bool", ctx.dataTypeOf(x));
    const spread = ctx.op("Mul", [ctx.op("Unsqueeze", [dy, ctx.int64s([axis + 1 + ctx.k])]), oneHot]);
    return [ctx.op("ReduceSum", [spread, ctx.int64s([axis + ctx.k])], { keepdims: 0 })];
  },
};
