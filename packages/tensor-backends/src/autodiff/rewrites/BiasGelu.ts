/** BiasGelu: exact Gelu of x + bias. */
import { exactGelu } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.BiasGelu. */
export const biasGeluRewrite: ContribRewrite = {
  opType: "BiasGelu",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [x, bias] = ctx.node.inputs;
    exactGelu(ctx, ctx.op("Add", [x!, bias!]), ctx.node.outputs[0]!);
    return true;
  },
};
