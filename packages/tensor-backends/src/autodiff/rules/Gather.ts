/**
 * Gather: y[pre, i…, post] = x[pre, idx[i…], post]. A scalar index (the last position, one token)
 * takes one slice of x: its gradient is the output gradient zero-padded back around that slice. Other
 * indices: Σ_i ∂y[pre, i…, post]·[idx[i…] = d], an Einsum against a one-hot of the indices, which sums
 * repeated indices and needs no scatter (so it works from opset 13). Negative indices are wrapped first.
 */
import { castTo, requireRank } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxy";

/** Pads [begins..., ends...] (seed axis included) putting a gradient back at the scalar index of `axis`. */
function padsAround(ctx: VjpContext, x: string, axis: number, rank: number): string {
  const zeros = (count: number) => new Array<number>(count).fill(0);
  const at = axis + ctx.k;
  const width = rank + ctx.k;
  const index = ctx.constInts(ctx.input(1))?.[0];
  const dim = ctx.info(x)?.shape?.[axis];
  if (index !== undefined && typeof dim === "number") {
    const pads = zeros(2 * width);
    pads[at] = index < 0 ? index + dim : index;
    pads[width + at] = dim - pads[at]! - 1;
    return ctx.int64s(pads);
  }
  const { wrapped, depth } = wrappedIndices(ctx, x, axis);
  const after = ctx.op("Sub", [ctx.op("Sub", [depth, wrapped]), ctx.constant([1], "int64", [])]);
  const one = (value: string) => ctx.op("Unsqueeze", [value, ctx.int64s([0])]);
  const parts = [ctx.int64s(zeros(at)), one(wrapped), ctx.int64s(zeros(width - 1)), one(after)];
  return ctx.op("Concat", [...parts, ctx.int64s(zeros(width - at - 1))], { axis: 0 });
}

/** The indices as int64 with negatives wrapped, and the size of `axis`. */
function wrappedIndices(ctx: VjpContext, x: string, axis: number): { wrapped: string; depth: string } {
  const indices = ctx.input(1);
  const scalar = (value: number) => ctx.constant([value], "int64", []);
  const depth = ctx.op("Gather", [ctx.op("Shape", [x]), scalar(axis)], { axis: 0 });
  const wide = castTo(ctx, indices, ctx.dataTypeOf(indices), "int64");
  const wrapped = ctx.op("Where", [ctx.op("Less", [wide, scalar(0)]), ctx.op("Add", [wide, depth]), wide]);
  return { wrapped, depth };
}

/** Gradient rule for Gather. */
export const gatherRule: GradientRule = {
  opType: "Gather",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const rank = requireRank(ctx, x);
    const indexRank = requireRank(ctx, ctx.input(1));
    const rawAxis = ctx.attr.int("axis", 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    if (indexRank === 0) {
      const slab = ctx.op("Unsqueeze", [ctx.gradOutput(0)!, ctx.int64s([axis + ctx.k])]);
      return [ctx.padWithZeros(slab, padsAround(ctx, x, axis, rank), [axis + ctx.k])];
    }
    const scalar = (value: number) => ctx.constant([value], "int64", []);
    const { wrapped, depth } = wrappedIndices(ctx, x, axis);
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
