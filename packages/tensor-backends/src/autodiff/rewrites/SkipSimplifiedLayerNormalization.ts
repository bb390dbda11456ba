/**
 * SkipSimplifiedLayerNormalization: s = input + skip (+ bias), y = RMSNorm(s)·gamma over the last axis.
 * Outputs: y, mean (left undefined by the kernel), inv_std_var, and s itself.
 */
import { reduceMean, rmsNormalize } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.SkipSimplifiedLayerNormalization. */
export const skipSimplifiedLayerNormalizationRewrite: ContribRewrite = {
  opType: "SkipSimplifiedLayerNormalization",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [input, skip, gamma, bias = ""] = ctx.node.inputs;
    const [output, mean = "", inverseOutput = "", sumOutput = ""] = ctx.node.outputs;
    const sum =
      bias === ""
        ? ctx.op("Add", [input!, skip!], {}, sumOutput || undefined)
        : ctx.op("Add", [ctx.op("Add", [input!, skip!]), bias], {}, sumOutput || undefined);
    const { inverse } = rmsNormalize(ctx, sum, gamma!, [-1], ctx.attr.float("epsilon", 1e-5), output!);
    if (inverseOutput !== "") ctx.op("Identity", [inverse], {}, inverseOutput);
    // The kernel leaves `mean` undefined; give readers the plain mean rather than a dangling name.
    if (mean !== "") ctx.op("Identity", [reduceMean(ctx, sum, [-1])], {}, mean);
    return true;
  },
};
