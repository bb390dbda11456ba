/**
 * Gemm: Y = α·A'·B' + β·C with A' = op(A), B' = op(B). ∂A' = α·∂Y·B'ᵀ, ∂B' = α·A'ᵀ·∂Y, transposed back
 * when the operand was transposed; ∂C = β·∂Y summed over C's broadcast axes. Batched MatMul carries the seed axis.
 */
import { swapLastTwo, unbroadcast } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

function scaled(ctx: VjpContext, value: string, factor: number, like: string): string {
  return factor === 1 ? value : ctx.op("Mul", [value, ctx.scalarLike(factor, like)]);
}

/** Gradient rule for Gemm. */
export const gemmRule: GradientRule = {
  opType: "Gemm",
  domain: "",
  needs: { inputs: [0, 1, 2], outputs: [0] },
  vjp(ctx) {
    const dy = ctx.gradOutput(0)!;
    const [a, b, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    const transA = ctx.attr.int("transA", 0) === 1;
    const transB = ctx.attr.int("transB", 0) === 1;
    const alpha = ctx.attr.float("alpha", 1);
    const beta = ctx.attr.float("beta", 1);
    const gradPerm = swapLastTwo(2 + ctx.k);
    const flip = (value: string) => ctx.op("Transpose", [value], { perm: [1, 0] });
    const flipGrad = (value: string) => ctx.op("Transpose", [value], { perm: gradPerm });
    const scaledDy = scaled(ctx, dy, alpha, y);
    let da: string | undefined;
    if (ctx.wantsGrad(0)) {
      // ∂A' = ∂Y·B'ᵀ, and B'ᵀ is B itself when transB.
      const dAprime = ctx.op("MatMul", [scaledDy, transB ? b : flip(b)]);
      da = transA ? flipGrad(dAprime) : dAprime;
    }
    let db: string | undefined;
    if (ctx.wantsGrad(1)) {
      const dBprime = ctx.op("MatMul", [transA ? a : flip(a), scaledDy]);
      db = transB ? flipGrad(dBprime) : dBprime;
    }
    const dc = ctx.wantsGrad(2) ? unbroadcast(ctx, scaled(ctx, dy, beta, y), y, ctx.input(2)) : undefined;
    return [da, db, dc];
  },
};
