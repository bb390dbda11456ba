/** FastGelu: tanh-approximated Gelu of x (+ bias). */
import { tanhGelu } from "./formulas.ts";
import type { ContribRewrite } from "./types.ts";

/** Rewrite of com.microsoft.FastGelu. */
export const fastGeluRewrite: ContribRewrite = {
  opType: "FastGelu",
  domains: ["com.microsoft"],
  rewrite(ctx) {
    const [x, bias = ""] = ctx.node.inputs;
    const shifted = bias === "" ? x! : ctx.op("Add", [x!, bias]);
    tanhGelu(ctx, shifted, ctx.node.outputs[0]!);
    return true;
  },
};
