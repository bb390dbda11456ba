import type { DecoderActivation } from "../../weights/types.ts";
import type { GraphContext } from "../context.ts";
import { erfFloat64 } from "./erf-float64.ts";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The feed-forward nonlinearity from elementary operators. Exact GELU needs Erf, for which ONNX
 * Runtime has no float64 kernel: a float64 graph computes it from elementary operators
 * (`erfFloat64`, a few ulp), so float64 graphs are float64 throughout.
 */
export function activation(ctx: GraphContext, x: string, kind: DecoderActivation, output?: string): string {
  switch (kind) {
    case "silu":
      return ctx.op("Mul", [x, ctx.op("Sigmoid", [x])], {}, output);
    case "relu":
      return ctx.op("Relu", [x], {}, output);
    case "gelu": {
      const scaled = ctx.op("Mul", [x, ctx.float(Math.SQRT1_2)]);
      const erf = ctx.dataType === "float64" ? erfFloat64(ctx, scaled) : ctx.op("Erf", [scaled]);
      return halfXTimesOnePlus(ctx, x, erf, output);
    }
    case "gelu_tanh": {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's gelu_new.
      const cube = ctx.op("Mul", [x, ctx.op("Mul", [x, x])]);
      const inner = ctx.op("Add", [x, ctx.op("Mul", [cube, ctx.float(0.044715)])]);
      const tanh = ctx.op("Tanh", [ctx.op("Mul", [inner, ctx.float(SQRT_2_OVER_PI)])]);
      return halfXTimesOnePlus(ctx, x, tanh, output);
    }
  }
}

function halfXTimesOnePlus(ctx: GraphContext, x: string, term: string, output?: string): string {
  const onePlus = ctx.op("Add", [term, ctx.float(1)]);
  return ctx.op("Mul", [ctx.op("Mul", [x, ctx.float(0.5)]), onePlus], {}, output);
}
