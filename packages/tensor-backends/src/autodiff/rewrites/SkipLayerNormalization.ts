/**
 * SkipLayerNormalization: s = input + skip (+ bias), y = LayerNorm(s)·gamma + beta over the last axis.
 * Outputs: y, mean, inv_std_var, and s itself.
 */
import { layerNormalize } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.SkipLayerNormalization. */
export const skipLayerNormalizationRewrite: ContribRewrite = {
  opType: "SkipLayerNormalization",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [input, skip, gamma, beta = "", bias = ""] = ctx.node.inputs;
    const [output, mean = "", inverse = "", sumOutput = ""] = ctx.node.outputs;
    const sum =
      bias === ""
        ? ctx.op("Add", [input!, skip!], {}, sumOutput || undefined)
        : ctx.op("Add", [ctx.op("Add", [input!, skip!]), bias], {}, sumOutput || undefined);
    layerNormalize(ctx, sum, gamma!, beta === "" ? undefined : beta, ctx.attr.float("epsilon", 1e-12), [
      output!,
      mean,
      inverse,
    ]);
    return true;
  },
};
