/**
 * LayerNormalization (opset 17) over axes [axis, rank): with x̂ = (x − μ)·r, r = 1/√(σ² + ε),
 * ∂x = r·(g − mean(g) − x̂·mean(g·x̂)) for g = ∂y·scale; ∂scale = Σ ∂y·x̂ and ∂bias = Σ ∂y over the
 * broadcast axes. μ and r are recomputed in the backward graph (the Mean/InvStdDev outputs are optional).
 */
import { TensorBackendError } from "../../errors.ts";
import { reduce, requireRank, unbroadcast } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for LayerNormalization. */
export const layerNormalizationRule: GradientRule = {
  opType: "LayerNormalization",
  domain: "",
  sinceVersion: 17,
  needs: { inputs: [0, 1, 2], outputs: [0] },
  vjp(ctx) {
    if (ctx.gradOutput(1) !== undefined || ctx.gradOutput(2) !== undefined) {
      throw new TensorBackendError(
        "UNSUPPORTED_OPERATOR",
        `LayerNormalization node '${ctx.node.name}': gradients through its Mean/InvStdDev outputs are not supported`,
        {
          hint: "Differentiate through output 0 only, or expand the normalization into primitive operators.",
        },
      );
    }
    const dy = ctx.gradOutput(0)!;
    const [x, scale, y] = [ctx.input(0), ctx.input(1), ctx.output(0)];
    const rawAxis = ctx.attr.int("axis", -1);
    const first = rawAxis < 0 ? rawAxis : rawAxis - requireRank(ctx, x);
    // Negative axes name the same axes of x and of its seed-prefixed gradient.
    const axes = Array.from({ length: -first }, (_, index) => first + index);
    const epsilon = ctx.attr.float("epsilon", 1e-5);
    const mean = (value: string) => reduce(ctx, "ReduceMean", value, axes, true);
    const centered = ctx.op("Sub", [x, mean(x)]);
    const variance = mean(ctx.op("Mul", [centered, centered]));
    const inverse = ctx.op("Reciprocal", [
      ctx.op("Sqrt", [ctx.op("Add", [variance, ctx.scalarLike(epsilon, x)])]),
    ]);
    const normalized = ctx.op("Mul", [centered, inverse]);
    let dx: string | undefined;
    if (ctx.wantsGrad(0)) {
      const g = ctx.op("Mul", [dy, scale]);
      const projection = ctx.op("Mul", [normalized, mean(ctx.op("Mul", [g, normalized]))]);
      dx = ctx.op("Mul", [inverse, ctx.op("Sub", [ctx.op("Sub", [g, mean(g)]), projection])]);
    }
    const dScale = ctx.wantsGrad(1) ? unbroadcast(ctx, ctx.op("Mul", [dy, normalized]), y, scale) : undefined;
    const dBias = ctx.wantsGrad(2) ? unbroadcast(ctx, dy, y, ctx.input(2)) : undefined;
    return [dx, dScale, dBias];
  },
};
