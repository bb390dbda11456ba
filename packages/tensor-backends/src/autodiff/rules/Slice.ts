/**
 * Slice: with constant parameters, unit steps and static sizes along the sliced axes (rotary halves,
 * head splits), the gradient is the output gradient zero-padded back to the input's extent — one Pad.
 * Otherwise the same Slice applied to a map of element positions tells where each output element came
 * from, and the gradient is scattered back to those positions (any steps, negative ones included, and
 * run-time starts/ends work alike).
 */
import { scatterToPositions } from "../scatter.ts";
import type { GradientRule, VjpContext } from "../types.ts";

/** Zero-padding amounts [begins..., ends...] over every axis, or undefined when only run time can tell. */
function staticPads(ctx: VjpContext): number[] | undefined {
  const shape = ctx.info(ctx.input(0))?.shape;
  const starts = ctx.constInts(ctx.input(1));
  const ends = ctx.constInts(ctx.input(2));
  if (shape === undefined || starts === undefined || ends === undefined) return undefined;
  const axes = ctx.hasInput(3) ? ctx.constInts(ctx.input(3)) : starts.map((_, index) => index);
  const steps = ctx.hasInput(4) ? ctx.constInts(ctx.input(4)) : starts.map(() => 1);
  if (axes === undefined || steps === undefined || steps.some((step) => step !== 1)) return undefined;
  const rank = shape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  for (const [index, rawAxis] of axes.entries()) {
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    const dim = shape[axis];
    if (typeof dim !== "number") return undefined;
    const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + dim : value, 0), dim);
    const start = clamp(starts[index]!);
    const end = Math.max(clamp(ends[index]!), start);
    pads[axis] = start;
    pads[rank + axis] = dim - end;
  }
  return pads;
}

/** Gradient rule for Slice. */
export const sliceRule: GradientRule = {
  opType: "Slice",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: "all", outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const pads = staticPads(ctx);
    if (pads !== undefined) {
      const rank = pads.length / 2;
      // Seed axes are never padded.
      const lead = new Array<number>(ctx.k).fill(0);
      const all = [...lead, ...pads.slice(0, rank), ...lead, ...pads.slice(rank)];
      const axes = all
        .slice(0, rank + ctx.k)
        .flatMap((_, axis) => (all[axis] || all[axis + rank + ctx.k] ? [axis] : []));
      return [ctx.padWithZeros(ctx.gradOutput(0)!, ctx.int64s(all), axes)];
    }
    const positions = (map: string) =>
      ctx.op("Slice", [map, ...ctx.node.inputs.slice(1).map((_, index) => ctx.input(index + 1))]);
    return [scatterToPositions(ctx, ctx.gradOutput(0)!, x, positions, false)];
  },
};
