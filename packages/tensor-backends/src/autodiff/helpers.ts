/**
 * Shared building blocks of the gradient rules: shapes of gradients (which carry `ctx.k` leading seed
 * axes), unbroadcasting, opset-aware reductions, restoring reduced axes, and axis shifting. Static
 * shapes are used where inference proved them; otherwise shapes are computed at run time with Shape
 * ops, so symbolic dims (batch, sequence) work.
 */
import { TensorBackendError } from "../errors.ts";
import { ONNX_DATA_TYPE } from "../graph/dtypes.ts";
import { makeTensor } from "../graph/tensor.ts";
import type { DataType, Dim } from "../graph/types.ts";
import type { VjpContext } from "./types.ts";

/** Axis `axis` of a forward value, as an axis of its gradient (negative axes count from the end and need no shift). */
export function gradAxis(ctx: VjpContext, axis: number): number {
  return axis >= 0 ? axis + ctx.k : axis;
}

/** Runtime shape of the gradient of forward value `like`: `[K, ...shape]` with seeds, else its shape. */
export function gradShapeOf(ctx: VjpContext, like: string): string {
  const shape = ctx.op("Shape", [like]);
  if (ctx.k === 0) return shape;
  return ctx.op("Concat", [ctx.seedCount!, shape], { axis: 0 });
}

/** Reshape a gradient to the gradient shape of forward value `like`. */
export function reshapeToGrad(ctx: VjpContext, grad: string, like: string): string {
  return ctx.op("Reshape", [grad, gradShapeOf(ctx, like)]);
}

/** A zero gradient for forward value `like`. */
export function zerosGrad(ctx: VjpContext, like: string): string {
  const value = makeTensor([0], [1], ctx.dataTypeOf(like));
  return ctx.op("ConstantOfShape", [gradShapeOf(ctx, like)], { value });
}

/** Cast `value` (whose element type is `from`) to `to` when they differ. */
export function castTo(ctx: VjpContext, value: string, from: DataType, to: DataType): string {
  return from === to ? value : ctx.op("Cast", [value], { to: ONNX_DATA_TYPE[to] });
}

/** Reduction with axes given the way the model's opset wants them (attribute before 18, input after; ReduceSum from 13). */
export function reduce(
  ctx: VjpContext,
  opType: string,
  value: string,
  axes: readonly number[] | string | undefined,
  keepdims: boolean,
): string {
  const axesAsInput = opType === "ReduceSum" || ctx.opset >= 18;
  const keep = keepdims ? 1 : 0;
  if (axes === undefined) return ctx.op(opType, [value], { keepdims: keep });
  if (axesAsInput) {
    const axesName = typeof axes === "string" ? axes : ctx.int64s(axes);
    return ctx.op(opType, [value, axesName], { keepdims: keep });
  }
  if (typeof axes === "string") {
    throw new TensorBackendError("UNSUPPORTED_OPERATOR", `${opType} with run-time axes needs opset 18`, {
      hint: "Use a model with opset >= 18, or constant axes.",
    });
  }
  return ctx.op(opType, [value], { keepdims: keep, axes: [...axes] });
}

function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  return a !== undefined && a !== null && a === b;
}

/**
 * Static reduction plan to sum a gradient whose forward shape is `gradShape` down to the shape of
 * `target`: leading axes to drop and broadcast axes to sum, or undefined when only run time can tell.
 */
function staticUnbroadcastPlan(
  gradShape: readonly Dim[] | undefined,
  targetShape: readonly Dim[] | undefined,
): { lead: number; axes: number[] } | undefined {
  if (gradShape === undefined || targetShape === undefined || targetShape.length > gradShape.length)
    return undefined;
  const lead = gradShape.length - targetShape.length;
  const axes: number[] = [];
  for (let index = 0; index < lead; index++) axes.push(index);
  for (let index = 0; index < targetShape.length; index++) {
    const want = targetShape[index];
    const have = gradShape[lead + index];
    if (sameDim(want, have)) continue;
    if (want === 1) axes.push(lead + index);
    else if (typeof want !== "number") return undefined;
  }
  return { lead, axes };
}

/**
 * Sum `grad` (the gradient of forward value `gradOf`, which broadcasting made larger) down to the
 * gradient shape of forward value `target`: ReduceSum over broadcast axes, then drop leading axes.
 */
export function unbroadcast(ctx: VjpContext, grad: string, gradOf: string, target: string): string {
  if (gradOf === target) return grad;
  return unbroadcastFrom(ctx, grad, ctx.info(gradOf)?.shape, target);
}

/**
 * Like {@link unbroadcast} for a gradient that is not the gradient of any forward value: `gradShape`
 * is its static forward shape (without seed axes) when known, else undefined (shapes are then read at run time).
 */
export function unbroadcastFrom(
  ctx: VjpContext,
  grad: string,
  gradShape: readonly Dim[] | undefined,
  target: string,
): string {
  const plan = staticUnbroadcastPlan(gradShape, ctx.info(target)?.shape);
  if (plan !== undefined) {
    if (plan.axes.length === 0) return grad;
    const summed = reduce(
      ctx,
      "ReduceSum",
      grad,
      plan.axes.map((axis) => axis + ctx.k),
      true,
    );
    if (plan.lead === 0) return summed;
    const lead = Array.from({ length: plan.lead }, (_, index) => index + ctx.k);
    return ctx.op("Squeeze", [summed, ctx.int64s(lead)]);
  }
  // Run time: pad the target's shape with leading 1s to the gradient's rank and sum every axis where it is 1.
  const gradRank = ctx.op("Shape", [ctx.op("Shape", [grad])]);
  const forwardRank = ctx.k === 0 ? gradRank : ctx.op("Sub", [gradRank, ctx.int64s([ctx.k])]);
  const targetShape = ctx.op("Shape", [target]);
  const lead = ctx.op("Sub", [forwardRank, ctx.op("Shape", [targetShape])]);
  const ones = ctx.op("ConstantOfShape", [lead], { value: makeTensor([1n], [1], "int64") });
  const padded = ctx.op("Concat", [ones, targetShape], { axis: 0 });
  const isOne = ctx.op("Equal", [padded, ctx.int64s([1])]);
  const scalar = (value: number) => ctx.constant([value], "int64", []);
  const end = ctx.op("Squeeze", [gradRank, ctx.int64s([0])]);
  const positions = ctx.op("Range", [scalar(ctx.k), end, scalar(1)]);
  const axes = ctx.op("Compress", [positions, isOne], { axis: 0 });
  const summed = ctx.op("ReduceSum", [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return reshapeToGrad(ctx, summed, target);
}

/** How a reduction node picked its axes. */
export interface ReductionAxes {
  /** Constant axes; undefined means "all axes" (or run-time axes when `dynamic` is set). */
  axes: number[] | undefined;
  /** Name of a run-time axes input, when the axes are not constant. */
  dynamic: string | undefined;
  keepdims: boolean;
  /** True when the reduction is an identity (empty axes with noop_with_empty_axes). */
  noop: boolean;
}

/** Read a Reduce* node's axes from its attribute or its second input. */
export function reductionAxes(ctx: VjpContext): ReductionAxes {
  const keepdims = ctx.attr.int("keepdims", 1) === 1;
  const noopWhenEmpty = ctx.attr.int("noop_with_empty_axes", 0) === 1;
  const fromAttribute = ctx.attr.ints("axes");
  if (fromAttribute !== undefined) return { axes: fromAttribute, dynamic: undefined, keepdims, noop: false };
  if (!ctx.hasInput(1)) return { axes: undefined, dynamic: undefined, keepdims, noop: noopWhenEmpty };
  const axesName = ctx.input(1);
  const constant = ctx.constInts(axesName);
  if (constant === undefined) return { axes: undefined, dynamic: axesName, keepdims, noop: false };
  if (constant.length === 0) return { axes: undefined, dynamic: undefined, keepdims, noop: noopWhenEmpty };
  return { axes: constant, dynamic: undefined, keepdims, noop: false };
}

/**
 * Give a reduced value (`reduced`, shaped like the reduction's output, plus seed axes when `isGrad`) its
 * reduced axes back as size-1 axes, so it broadcasts against the reduction's input `input`.
 */
export function restoreReducedAxes(
  ctx: VjpContext,
  reduced: string,
  input: string,
  plan: ReductionAxes,
  isGrad: boolean,
): string {
  if (plan.keepdims || plan.noop) return reduced;
  const shift = isGrad ? ctx.k : 0;
  if (plan.axes !== undefined) {
    const axes = plan.axes.map((axis) => (axis >= 0 ? axis + shift : axis));
    return ctx.op("Unsqueeze", [reduced, ctx.int64s(axes)]);
  }
  let keptShape: string;
  if (plan.dynamic !== undefined) {
    keptShape = ctx.op("Shape", [ctx.op("ReduceSum", [input, plan.dynamic], { keepdims: 1 })]);
  } else {
    const rank = ctx.op("Shape", [ctx.op("Shape", [input])]);
    keptShape = ctx.op("ConstantOfShape", [rank], { value: makeTensor([1n], [1], "int64") });
  }
  if (shift === 1) keptShape = ctx.op("Concat", [ctx.seedCount!, keptShape], { axis: 0 });
  return ctx.op("Reshape", [reduced, keptShape]);
}

/** Permutation swapping the last two of `rank` axes. */
export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, index) => index);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The rank of forward value `name`, or a clear error naming the node that needs it. */
export function requireRank(ctx: VjpContext, name: string): number {
  const rank = ctx.rankOf(name);
  if (rank === undefined) {
    throw new TensorBackendError(
      "SHAPE_MISMATCH",
      `the gradient of ${ctx.node.opType} node '${ctx.node.name}' needs the rank of '${name}', which is unknown`,
      {
        hint: "Declare the value's shape in value_info (or run shape inference) before building the gradient graph.",
      },
    );
  }
  return rank;
}

/** `a * b` elementwise. */
export function mul(ctx: VjpContext, a: string, b: string): string {
  return ctx.op("Mul", [a, b]);
}
