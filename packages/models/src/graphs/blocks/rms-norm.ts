import type { GraphContext } from "../context.ts";

/**
 * RMSNorm over the last axis: `x / sqrt(mean(x²) + eps) * weight`, from elementary operators
 * (Pow, ReduceMean, Add, Sqrt, Div, Mul) rather than a fused contrib op, so that the autodiff has a
 * rule for every node. Used per position (Llama, Qwen) and per head (Qwen3's q/k norms).
 */
export function rmsNorm(ctx: GraphContext, x: string, weight: string, eps: number, output?: string): string {
  const squares = ctx.op("Pow", [x, ctx.float(2)]);
  const meanSquare = ctx.op("ReduceMean", [squares, ctx.ints([-1])], { keepdims: 1 });
  const rms = ctx.op("Sqrt", [ctx.op("Add", [meanSquare, ctx.float(eps)])]);
  return ctx.op("Mul", [ctx.op("Div", [x, rms]), ctx.weight(weight)], {}, output);
}
