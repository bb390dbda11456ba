import type { GraphContext } from "../context.ts";

/**
 * RMSNorm over the last axis: `x / sqrt(mean(x²) + eps) * (weightOffset + weight)`, from elementary
 * operators (Pow, ReduceMean, Add, Sqrt, Div, Mul) rather than a fused contrib op, so that the
 * autodiff has a rule for every node. Used per position (Llama, Qwen, Gemma) and per head (Qwen3's
 * q/k norms). `weightOffset` is 0 except for Gemma, whose checkpoints store `weight - 1` (its norms
 * scale by `1 + weight`).
 */
export function rmsNorm(
  ctx: GraphContext,
  x: string,
  weight: string,
  eps: number,
  output?: string,
  weightOffset = 0,
): string {
  const squares = ctx.op("Pow", [x, ctx.float(2)]);
  const meanSquare = ctx.op("ReduceMean", [squares, ctx.ints([-1])], { keepdims: 1 });
  const rms = ctx.op("Sqrt", [ctx.op("Add", [meanSquare, ctx.float(eps)])]);
  const scale =
    weightOffset === 0
      ? ctx.weight(weight)
      : ctx.once(`rmsNormScale:${weight}:${weightOffset}`, () =>
          ctx.op("Add", [ctx.weight(weight), ctx.float(weightOffset)]),
        );
  return ctx.op("Mul", [ctx.op("Div", [x, rms]), scale], {}, output);
}
