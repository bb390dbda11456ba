import type { GraphContext } from "../context.ts";

/** A linear layer's tensors by name, and how its matrix is laid out. */
export interface LinearWeights {
  /** Matrix name: Hugging Face `nn.Linear` is [out, in]; GPT-2's `Conv1D` is [in, out]. */
  weight: string;
  /** Bias name [out]; absent for none. */
  bias?: string;
  layout: "out-in" | "in-out";
}

/** `x W^T + b` over the last axis of `x` [..., in] → [..., out], as MatMul (+ Add). */
export function linear(ctx: GraphContext, x: string, weights: LinearWeights, output?: string): string {
  const matrix =
    weights.layout === "out-in" ? ctx.weightTransposed(weights.weight) : ctx.weight(weights.weight);
  if (weights.bias === undefined) return ctx.op("MatMul", [x, matrix], {}, output);
  const product = ctx.op("MatMul", [x, matrix]);
  return ctx.op("Add", [product, ctx.weight(weights.bias)], {}, output);
}
