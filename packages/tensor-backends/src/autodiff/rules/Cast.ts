/** Cast between float types: the gradient is cast back to the input's type. */
import { ONNX_DATA_TYPE } from "../../graph/dtypes.ts";
import type { GradientRule } from "../types.ts";

/** Gradient rule for Cast. */
export const castRule: GradientRule = {
  opType: "Cast",
  domain: "",
  needs: { inputs: [0], outputs: [] },
  vjp: (ctx) => [ctx.op("Cast", [ctx.gradOutput(0)!], { to: ONNX_DATA_TYPE[ctx.dataTypeOf(ctx.input(0))] })],
};
