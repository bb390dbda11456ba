import type { GraphContext } from "../context.ts";

/** LayerNorm with scale and bias over the last axis (ONNX `LayerNormalization`, which has a gradient rule). */
export function layerNorm(
  ctx: GraphContext,
  x: string,
  weights: { weight: string; bias: string },
  eps: number,
  output?: string,
): string {
  return ctx.op(
    "LayerNormalization",
    [x, ctx.weight(weights.weight), ctx.weight(weights.bias)],
    { axis: -1, epsilon: { type: "float", value: eps } },
    output,
  );
}
