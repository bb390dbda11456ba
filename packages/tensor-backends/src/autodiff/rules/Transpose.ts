/** Transpose: the gradient is transposed back by the inverse permutation (seed axes stay in front). */
import { requireRank } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Transpose. */
export const transposeRule: GradientRule = {
  opType: "Transpose",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp(ctx) {
    const perm =
      ctx.attr.ints("perm") ??
      (() => {
        const rank = requireRank(ctx, ctx.input(0));
        return Array.from({ length: rank }, (_, index) => rank - 1 - index);
      })();
    const inverse = new Array<number>(perm.length);
    perm.forEach((axis, index) => {
      inverse[axis] = index;
    });
    const shifted = ctx.k === 0 ? inverse : [0, ...inverse.map((axis) => axis + 1)];
    return [ctx.op("Transpose", [ctx.gradOutput(0)!], { perm: shifted })];
  },
};
