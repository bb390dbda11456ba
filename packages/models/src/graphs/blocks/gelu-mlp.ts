import type { DecoderActivation } from "../../weights/types.ts";
import type { GraphContext } from "../context.ts";
import { mlpName } from "../tensor-names.ts";
import { activation } from "./activations.ts";
import { type LinearWeights, linear } from "./linear.ts";

/**
 * Two-layer feed-forward (GPT-2, GPT-NeoX): `down(gelu(up x))`, any activation. The tensor
 * `mlp.{layer}` is `gelu(up x)`, the input of the down projection.
 */
export function geluMlp(
  ctx: GraphContext,
  x: string,
  layer: number,
  weights: { up: LinearWeights; down: LinearWeights },
  kind: DecoderActivation = "gelu",
): string {
  const hidden = activation(ctx, linear(ctx, x, weights.up), kind, mlpName(layer));
  return linear(ctx, hidden, weights.down);
}
