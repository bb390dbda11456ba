/** Concat: the gradient is split back along the concatenation axis into pieces the sizes of the inputs. */
import { gradAxis } from "../helpers.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Concat. */
export const concatRule: GradientRule = {
  opType: "Concat",
  domain: "",
  needs: { inputs: "all", outputs: [] },
  vjp(ctx) {
    const axis = ctx.attr.int("axis", 0);
    const inputs = ctx.node.inputs.map((_, slot) => ctx.input(slot));
    const staticSizes = inputs.map((name) => {
      const shape = ctx.info(name)?.shape;
      const dim = shape?.[axis < 0 ? axis + shape.length : axis];
      return typeof dim === "number" ? dim : undefined;
    });
    const sizes = staticSizes.every((size) => size !== undefined)
      ? ctx.int64s(staticSizes as number[])
      : ctx.op(
          "Concat",
          inputs.map((name) => ctx.op("Gather", [ctx.op("Shape", [name]), ctx.int64s([axis])], { axis: 0 })),
          { axis: 0 },
        );
    const pieces = ctx.emit(
      "Split",
      [ctx.gradOutput(0)!, sizes],
      { axis: gradAxis(ctx, axis) },
      inputs.length,
    );
    return pieces.map((piece, slot) => (ctx.wantsGrad(slot) ? piece : undefined));
  },
};
