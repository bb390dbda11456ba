/**
 * Gradients of operators that move elements around (Slice, Pad): apply the operator to a map of
 * element positions, then scatter the output gradient back to the positions it names. Position 0 of
 * the scattered buffer is a sink for output elements that came from no input element (padding).
 */
import { makeTensor } from "../graph/tensor.ts";
import { gradShapeOf } from "./helpers.ts";
import type { VjpContext } from "./types.ts";

/**
 * Scatter `grad` into a zero gradient of forward value `x`. `move` applies the forward movement to a
 * map holding 1 + the flat position of each element of `x` (int64, shaped like `x`); a 0 in its output
 * marks padding. `accumulate` sums gradients of elements that appear more than once (needs opset 16).
 */
export function scatterToPositions(
  ctx: VjpContext,
  grad: string,
  x: string,
  move: (positions: string) => string,
  accumulate: boolean,
): string {
  const scalar = (value: number) => ctx.constant([value], "int64", []);
  const shape = ctx.op("Shape", [x]);
  const count = ctx.op("Size", [x]);
  const flat = ctx.op("Range", [scalar(1), ctx.op("Add", [count, scalar(1)]), scalar(1)]);
  const moved = move(ctx.op("Reshape", [flat, shape]));
  const movedFlat = ctx.op("Reshape", [moved, ctx.int64s([-1])]);
  const flatShape =
    ctx.k === 0 ? ctx.int64s([-1]) : ctx.op("Concat", [ctx.seedCount!, ctx.int64s([-1])], { axis: 0 });
  const updates = ctx.op("Reshape", [grad, flatShape]);
  const indices = ctx.k === 0 ? movedFlat : ctx.op("Expand", [movedFlat, ctx.op("Shape", [updates])]);
  const bufferShape = ctx.op(
    "Concat",
    [
      ...(ctx.k === 0 ? [] : [ctx.seedCount!]),
      ctx.op("Add", [ctx.op("Unsqueeze", [count, ctx.int64s([0])]), ctx.int64s([1])]),
    ],
    { axis: 0 },
  );
  const zeros = ctx.op("ConstantOfShape", [bufferShape], { value: makeTensor([0], [1], ctx.dataTypeOf(x)) });
  const scattered = ctx.op("ScatterElements", [zeros, indices, updates], {
    axis: ctx.k,
    ...(accumulate ? { reduction: "add" } : {}),
  });
  const kept = ctx.op("Slice", [
    scattered,
    ctx.int64s([1]),
    ctx.int64s([Number.MAX_SAFE_INTEGER]),
    ctx.int64s([ctx.k]),
  ]);
  return ctx.op("Reshape", [kept, gradShapeOf(ctx, x)]);
}
