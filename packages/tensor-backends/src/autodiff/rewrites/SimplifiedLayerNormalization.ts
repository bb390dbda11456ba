/**
 * SimplifiedLayerNormalization (RMSNorm; ONNX Runtime registers it in the default domain, some
 * exporters write com.microsoft): y = x / √(mean(x²) + ε) · scale over axes [axis, rank).
 */
import { rmsNormalize, trailingAxes } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of SimplifiedLayerNormalization. */
export const simplifiedLayerNormalizationRewrite: ContribRewrite = {
  opType: "SimplifiedLayerNormalization",
  domains: ["", "com.microsoft"],
  rewrite(ctx) {
    const [x, scale] = ctx.node.inputs;
    const axes = trailingAxes(ctx, x!, ctx.attr.int("axis", -1));
    if (axes.length === 0) return false;
    const [output, inverseOutput = ""] = ctx.node.outputs;
    const { inverse } = rmsNormalize(ctx, x!, scale!, axes, ctx.attr.float("epsilon", 1e-5), output!);
    if (inverseOutput !== "") ctx.op("Identity", [inverse], {}, inverseOutput);
    return true;
  },
};
