import type { DecoderActivation } from "../../weights/types.ts";
import type { GraphContext } from "../context.ts";
import { mlpName } from "../tensor-names.ts";
import { activation } from "./activations.ts";
import { type LinearWeights, linear } from "./linear.ts";

/**
 * Gated feed-forward (SwiGLU with silu; Llama, Mistral, Qwen): `down(act(gate x) * up x)`. The
 * tensor `mlp.{layer}` is `act(gate x) * up x`, the input of the down projection.
 */
export function swigluMlp(
  ctx: GraphContext,
  x: string,
  layer: number,
  weights: { gate: LinearWeights; up: LinearWeights; down: LinearWeights },
  kind: DecoderActivation = "silu",
): string {
  const gate = activation(ctx, linear(ctx, x, weights.gate), kind);
  const hidden = ctx.op("Mul", [gate, linear(ctx, x, weights.up)], {}, mlpName(layer));
  return linear(ctx, hidden, weights.down);
}
