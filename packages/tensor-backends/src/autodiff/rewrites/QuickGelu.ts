/** QuickGelu: x · sigmoid(alpha · x), alpha defaulting to 1.702. */
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.QuickGelu. */
export const quickGeluRewrite: ContribRewrite = {
  opType: "QuickGelu",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const x = ctx.node.inputs[0]!;
    const alpha = ctx.attr.float("alpha", 1.702);
    const gate = ctx.op("Sigmoid", [alpha === 1 ? x : ctx.op("Mul", [x, ctx.scalarLike(alpha, x)])]);
    ctx.op("Mul", [x, gate], {}, ctx.node.outputs[0]!);
    return true;
  },
};
