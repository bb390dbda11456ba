/**
 * Shape rules for matrix products (MatMul, Gemm, Einsum) and reductions (Reduce*, ArgMax/ArgMin).
 */
import type { Dim } from "../types.ts";
import { type ShapeRule, tensorValue } from "./context.ts";
import { broadcastDim, broadcastShapes, normalizeAxis } from "./dims.ts";

/** numpy matmul: 1-D operands are promoted and the added axis dropped; batch dims broadcast. */
export const matMul: ShapeRule = (context) => {
  const dataType = context.dataType(0) ?? context.dataType(1);
  if (dataType === undefined) return [undefined];
  const a = context.shape(0);
  const b = context.shape(1);
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0)
    return [tensorValue(dataType, undefined)];
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShapes([left.slice(0, -2), right.slice(0, -2)]) ?? [];
  const output: Dim[] = [...batch];
  if (a.length > 1) output.push(left[left.length - 2]!);
  if (b.length > 1) output.push(right[right.length - 1]!);
  return [tensorValue(dataType, output)];
};

/** Gemm: [M, N] from the (optionally transposed) operands. */
export const gemm: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined];
  const a = context.shape(0);
  const b = context.shape(1);
  if (a?.length !== 2 || b?.length !== 2) return [tensorValue(dataType, [null, null])];
  const m = context.int("transA", 0) === 1 ? a[1]! : a[0]!;
  const n = context.int("transB", 0) === 1 ? b[0]! : b[1]!;
  const c = context.shape(2);
  // C broadcasts to [M, N]; it can pin a dim the operands left unknown.
  const pinned = c?.length === 2 ? [broadcastDim(m, c[0]!), broadcastDim(n, c[1]!)] : [m, n];
  return [tensorValue(dataType, pinned)];
};

function reducedShape(shape: Dim[], axes: number[] | undefined, keepDims: boolean, noopWhenEmpty: boolean) {
  if (axes === undefined || axes.length === 0) {
    if (noopWhenEmpty) return [...shape];
    return keepDims ? shape.map(() => 1) : [];
  }
  const reduced = new Set(axes.map((axis) => normalizeAxis(axis, shape.length)));
  const output: Dim[] = [];
  shape.forEach((dim, index) => {
    if (!reduced.has(index)) output.push(dim);
    else if (keepDims) output.push(1);
  });
  return output;
}

/** ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSumExp/SumSquare: axes from the attribute or (newer opsets) input 1. */
export const reduce: ShapeRule = (context) => {
  const input = context.input(0);
  if (input === undefined) return [undefined];
  const shape = input.type.shape;
  const axesGiven = context.hasInput(1);
  const axes = axesGiven ? context.numbers(1) : context.ints("axes");
  if (shape === undefined || (axesGiven && axes === undefined))
    return [tensorValue(input.type.dataType, undefined)];
  const keepDims = context.int("keepdims", 1) === 1;
  const noop = context.int("noop_with_empty_axes", 0) === 1;
  return [tensorValue(input.type.dataType, reducedShape(shape, axes, keepDims, noop))];
};

/** ArgMax / ArgMin: int64 with `axis` kept as 1 or dropped. */
export const argReduce: ShapeRule = (context) => {
  const shape = context.shape(0);
  if (shape === undefined) return [tensorValue("int64", undefined)];
  const axis = context.int("axis", 0);
  return [tensorValue("int64", reducedShape(shape, [axis], context.int("keepdims", 1) === 1, false))];
};

/** The dims an Einsum term's `...` stands for, and each letter's dim. */
function bindTerm(term: string, shape: readonly Dim[], sizes: Map<string, Dim>): Dim[] | undefined {
  const [before = "", after = ""] = term.split("...");
  const ellipsis = term.includes("...") ? shape.length - before.length - after.length : 0;
  if (ellipsis < 0) return undefined;
  const bind = (letters: string, offset: number) =>
    [...letters].forEach((letter, index) => {
      sizes.set(letter, broadcastDim(sizes.get(letter) ?? 1, shape[offset + index] ?? null));
    });
  bind(before, 0);
  bind(after, before.length + ellipsis);
  return shape.slice(before.length, before.length + ellipsis);
}

/** Einsum with an explicit output (`->`): each output letter takes its operands' (broadcast) dim. */
export const einsum: ShapeRule = (context) => {
  const dataType = context.dataType(0);
  if (dataType === undefined) return [undefined];
  const [lhs, rhs] = context.string("equation", "").replace(/\s/g, "").split("->");
  if (lhs === undefined || rhs === undefined) return [tensorValue(dataType, undefined)];
  const sizes = new Map<string, Dim>();
  const ellipses: (readonly Dim[])[] = [];
  let complete = true;
  lhs.split(",").forEach((term, index) => {
    const shape = context.shape(index);
    const ellipsis = shape === undefined ? undefined : bindTerm(term, shape, sizes);
    if (ellipsis === undefined) complete = false;
    else ellipses.push(ellipsis);
  });
  const [before = "", after = ""] = rhs.split("...");
  if (rhs.includes("...") && !complete) return [tensorValue(dataType, undefined)];
  const letterDims = (letters: string) => [...letters].map((letter) => sizes.get(letter) ?? null);
  const middle = rhs.includes("...") ? (broadcastShapes(ellipses) ?? []) : [];
  return [tensorValue(dataType, [...letterDims(before), ...middle, ...letterDims(after)])];
};
