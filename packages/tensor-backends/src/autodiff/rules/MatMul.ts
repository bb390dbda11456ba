/**
 * MatMul (numpy semantics): ∂A = ∂Y·Bᵀ and ∂B = Aᵀ·∂Y over the last two axes, summed over broadcast
 * batch axes. 1-D operands are promoted to matrices as MatMul does. The gradient's seed axis rides
 * along as one more batch axis; forward operands broadcast against it.
 */
import type { Dim } from "../../graph/types.ts";
import { requireRank, swapLastTwo, unbroadcastFrom } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

function transposed(ctx: VjpContext, value: string, rank: number): string {
  return ctx.op("Transpose", [value], { perm: swapLastTwo(rank) });
}

/** Static forward shape of a product's gradient: Y's batch and row axes, then `last`. */
function withLast(
  shape: readonly Dim[] | undefined,
  drop: number,
  tail: readonly (Dim | undefined)[],
): Dim[] | undefined {
  if (shape === undefined || tail.some((dim) => dim === undefined)) return undefined;
  return [...shape.slice(0, shape.length - drop), ...(tail as Dim[])];
}

function vectorVector(ctx: VjpContext, dy: string, a: string, b: string): (string | undefined)[] {
  const column = ctx.op("Unsqueeze", [dy, ctx.int64s([-1])]);
  return [
    ctx.wantsGrad(0) ? ctx.op("Mul", [column, b]) : undefined,
    ctx.wantsGrad(1) ? ctx.op("Mul", [column, a]) : undefined,
  ];
}

/**
 * `x`·Bᵀ for a matrix B, as Gemm(transB) over `x` flattened to rows. A Transpose of a constant B would
 * be folded by ONNX Runtime into a transposed copy of the weight, held by every gradient session.
 */
function timesTransposedMatrix(ctx: VjpContext, x: string, b: string, rankX: number): string {
  if (rankX === 2) return ctx.op("Gemm", [x, b], { transB: 1 });
  const rows = ctx.op("Flatten", [x], { axis: rankX - 1 });
  const product = ctx.op("Gemm", [rows, b], { transB: 1 });
  const leading = ctx.op("Slice", [ctx.op("Shape", [x]), ctx.int64s([0]), ctx.int64s([-1])]);
  const columns = ctx.op("Slice", [ctx.op("Shape", [b]), ctx.int64s([0]), ctx.int64s([1])]);
  return ctx.op("Reshape", [product, ctx.op("Concat", [leading, columns], { axis: 0 })]);
}

/**
 * ∂Y·Bᵀ. When ∂Y is zero but for a block padded along axes other than the last (the logit gradient of
 * one position) and B is a matrix, only the block's rows are multiplied and the product padded back:
 * a vocabulary-sized product over one row per sequence instead of every position.
 */
function leftGradient(ctx: VjpContext, dy: string, b: string, rankA: number, rankB: number): string {
  const rankDy = Math.max(rankA, rankB) + ctx.k;
  if (rankB !== 2) return ctx.op("MatMul", [dy, transposed(ctx, b, rankB)]);
  const padded = ctx.zeroPadded(dy);
  if (padded === undefined || padded.axes.includes(rankDy - 1))
    return timesTransposedMatrix(ctx, dy, b, rankDy);
  return ctx.padWithZeros(timesTransposedMatrix(ctx, padded.source, b, rankDy), padded.pads, padded.axes);
}

/** Gradient rule for MatMul. */
export const matMulRule: GradientRule = {
  opType: "MatMul",
  domain: "",
  needs: { inputs: [0, 1], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [a, b, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    const [rankA, rankB] = [requireRank(ctx, a), requireRank(ctx, b)];
    const [shapeA, shapeB, shapeY] = [ctx.info(a)?.shape, ctx.info(b)?.shape, ctx.info(y)?.shape];
    if (rankA === 1 && rankB === 1) return vectorVector(ctx, dy, a, b);
    if (rankA === 1) {
      // y[..., p] = a[n] · B[..., n, p]: treat a as a [1, n] row.
      const row = ctx.op("Unsqueeze", [dy, ctx.int64s([-2])]);
      const rowShape =
        shapeY === undefined ? undefined : [...shapeY.slice(0, -1), 1, shapeY[shapeY.length - 1]!];
      const da = ctx.wantsGrad(0)
        ? unbroadcastFrom(
            ctx,
            ctx.op("MatMul", [row, transposed(ctx, b, rankB)]),
            withLast(rowShape, 1, [shapeA?.[0]]),
            a,
          )
        : undefined;
      const db = ctx.wantsGrad(1)
        ? unbroadcastFrom(
            ctx,
            ctx.op("MatMul", [ctx.op("Unsqueeze", [a, ctx.int64s([-1])]), row]),
            withLast(rowShape, 2, [shapeA?.[0], shapeY?.[shapeY.length - 1]]),
            b,
          )
        : undefined;
      return [da, db];
    }
    if (rankB === 1) {
      // y[..., m] = A[..., m, n] · b[n]: treat b as an [n, 1] column.
      const column = ctx.op("Unsqueeze", [dy, ctx.int64s([-1])]);
      const da = ctx.wantsGrad(0)
        ? unbroadcastFrom(
            ctx,
            ctx.op("MatMul", [column, ctx.op("Unsqueeze", [b, ctx.int64s([0])])]),
            withLast(shapeY, 0, [shapeB?.[0]]),
            a,
          )
        : undefined;
      let db: string | undefined;
      if (ctx.wantsGrad(1)) {
        const product = ctx.op("MatMul", [transposed(ctx, a, rankA), column]);
        const squeezed = ctx.op("Squeeze", [product, ctx.int64s([-1])]);
        db = unbroadcastFrom(ctx, squeezed, withLast(shapeY, 1, [shapeB?.[0]]), b);
      }
      return [da, db];
    }
    const da = ctx.wantsGrad(0)
      ? unbroadcastFrom(
          ctx,
          leftGradient(ctx, dy, b, rankA, rankB),
          withLast(shapeY, 1, [shapeA?.[rankA - 1]]),
          a,
        )
      : undefined;
    const db = ctx.wantsGrad(1)
      ? unbroadcastFrom(
          ctx,
          ctx.op("MatMul", [transposed(ctx, a, rankA), dy]),
          withLast(shapeY, 2, [shapeB?.[rankB - 2], shapeY?.[shapeY.length - 1]]),
          b,
        )
      : undefined;
    return [da, db];
  },
};
