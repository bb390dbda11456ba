/**
 * Formulas several rewrites share, written with standard operators: reductions over trailing axes
 * (opset-aware), RMS and layer normalization, and the Gelu family.
 */
import type { RewriteContext } from "./types.ts";

/** ReduceMean over `axes` with keepdims, axes as attribute before opset 18 and as input after. */
export function reduceMean(ctx: RewriteContext, value: string, axes: number[]): string {
  return ctx.opset >= 18
    ? ctx.op("ReduceMean", [value, ctx.int64s(axes)], { keepdims: 1 })
    : ctx.op("ReduceMean", [value], { axes, keepdims: 1 });
}

/** The axes from `axis` to the last, as negative axes (no rank needed when `axis` is negative). */
export function trailingAxes(ctx: RewriteContext, input: string, axis: number): number[] {
  const first = axis < 0 ? axis : axis - (ctx.rankOf(input) ?? Number.NaN);
  if (Number.isNaN(first)) return [];
  return Array.from({ length: -first }, (_, index) => first + index);
}

/** x / √(mean(x²) + ε) · scale, and the 1/√(mean(x²) + ε) it used. */
export function rmsNormalize(
  ctx: RewriteContext,
  x: string,
  scale: string,
  axes: number[],
  epsilon: number,
  output: string,
): { output: string; inverse: string } {
  const meanSquare = reduceMean(ctx, ctx.op("Mul", [x, x]), axes);
  const inverse = ctx.op("Reciprocal", [
    ctx.op("Sqrt", [ctx.op("Add", [meanSquare, ctx.scalarLike(epsilon, x)])]),
  ]);
  return { output: ctx.op("Mul", [ctx.op("Mul", [x, inverse]), scale], {}, output), inverse };
}

/** (x − mean) / √(var + ε) · gamma + beta over the last axis: LayerNormalization from opset 17, primitives before. */
export function layerNormalize(
  ctx: RewriteContext,
  x: string,
  gamma: string,
  beta: string | undefined,
  epsilon: number,
  outputs: [string, string, string],
): void {
  if (ctx.opset >= 17) {
    ctx.emit(
      "LayerNormalization",
      beta === undefined ? [x, gamma] : [x, gamma, beta],
      { axis: -1, epsilon },
      outputs,
    );
    return;
  }
  const mean = reduceMean(ctx, x, [-1]);
  const centered = ctx.op("Sub", [x, mean]);
  const variance = reduceMean(ctx, ctx.op("Mul", [centered, centered]), [-1]);
  const inverse = ctx.op(
    "Reciprocal",
    [ctx.op("Sqrt", [ctx.op("Add", [variance, ctx.scalarLike(epsilon, x)])])],
    {},
    outputs[2] || undefined,
  );
  const scaled = ctx.op(
    "Mul",
    [ctx.op("Mul", [centered, inverse]), gamma],
    {},
    beta === undefined ? outputs[0] : undefined,
  );
  if (beta !== undefined) ctx.op("Add", [scaled, beta], {}, outputs[0]);
  if (outputs[1] !== "") ctx.op("Identity", [mean], {}, outputs[1]);
}

/** Exact Gelu x·Φ(x) = ½x(1 + erf(x/√2)). */
export function exactGelu(ctx: RewriteContext, x: string, output: string): string {
  if (ctx.opset >= 20) return ctx.op("Gelu", [x], {}, output);
  const c = (value: number) => ctx.scalarLike(value, x);
  const cdf = ctx.op("Add", [c(1), ctx.op("Erf", [ctx.op("Mul", [x, c(Math.SQRT1_2)])])]);
  return ctx.op("Mul", [ctx.op("Mul", [x, c(0.5)]), cdf], {}, output);
}

/** Tanh-approximated Gelu ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function tanhGelu(ctx: RewriteContext, x: string, output: string): string {
  if (ctx.opset >= 20) return ctx.op("Gelu", [x], { approximate: "tanh" }, output);
  const c = (value: number) => ctx.scalarLike(value, x);
  const cube = ctx.op("Mul", [ctx.op("Mul", [x, x]), x]);
  const inner = ctx.op("Mul", [
    c(Math.sqrt(2 / Math.PI)),
    ctx.op("Add", [x, ctx.op("Mul", [c(0.044715), cube])]),
  ]);
  return ctx.op(
    "Mul",
    [ctx.op("Mul", [x, c(0.5)]), ctx.op("Add", [c(1), ctx.op("Tanh", [inner])])],
    {},
    output,
  );
}
