/** com.microsoft.Gelu: exact Gelu (older exports; the standard Gelu arrived in opset 20). */
import { exactGelu } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.Gelu. */
export const geluRewrite: ContribRewrite = {
  opType: "Gelu",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    exactGelu(ctx, ctx.node.inputs[0]!, ctx.node.outputs[0]!);
    return true;
  },
};
