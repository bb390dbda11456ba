/**
 * Gather: y[pre, i…, post] = x[pre, idx[i…], post]. The gradient is Σ_i ∂y[pre, i…, post]·[idx[i…] = d],
 * an Einsum against a one-hot of the indices, which sums repeated indices and needs no scatter
 * (so it works from opset 13). Negative indices are wrapped first.
 */
import { castTo, requireRank } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxy";

/** Gradient rule for Gather. */
export const gatherRule: GradientRule = {
  opType: "Gather",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const [x, indices] = [ctx.input(0), ctx.input(1)];
    const rank = requireRank(ctx, x);
    const indexRank = requireRank(ctx, indices);
    const rawAxis = ctx.attr.int("axis", 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    const scalar = (value: number) => ctx.constant([value], "int64", []);
    const depth = ctx.op("Gather", [ctx.op("Shape", [x]), scalar(axis)], { axis: 0 });
    const wide = castTo(ctx, indices, ctx.dataTypeOf(indices), "int64");
    const wrapped = ctx.op("Where", [ctx.op("Less", [wide, scalar(0)]), ctx.op("Add", [wide, depth]), wide]);
    const hits = ctx.op("Equal", [
      ctx.op("Unsqueeze", [wrapped, ctx.int64s([-1])]),
      ctx.op("Range", [scalar(0), depth, scalar(1)]),
    ]);
    const oneHot = castTo(ctx, hits, "bool", ctx.dataTypeOf(x));
    const letters = [...LETTERS];
    const pre = letters.splice(0, axis).join("");
    const index = letters.splice(0, indexRank).join("");
    const post = letters.splice(0, rank - axis - 1).join("");
    const d = letters.shift()!;
    const seed = ctx.k === 1 ? "z" : "";
    const equation = `${seed}${pre}${index}${post},${index}${d}->${seed}${pre}${d}${post}`;
    return [ctx.op("Einsum", [ctx.gradOutput(0)!, oneHot], { equation })];
  },
};
