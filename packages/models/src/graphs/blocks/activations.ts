import type { DecoderActivation } from "../../weights/types.ts";
import { castTo, type GraphContext } from "../context.ts";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The feed-forward nonlinearity from elementary operators. Exact GELU needs Erf, for which ONNX
 * Runtime has no float64 kernel: a float64 graph evaluates that one Erf in float32 (about 1e-7
 * relative), everything else in float64.
 */
export function activation(ctx: GraphContext, x: string, kind: DecoderActivation, output?: string): string {
  switch (kind) {
    case "silu":
      return ctx.op("Mul", [x, ctx.op("Sigmoid", [x])], {}, output);
    case "relu":
      return ctx.op("Relu", [x], {}, output);
    case "gelu": {
      let scaled = ctx.op("Mul", [x, ctx.float(Math.SQRT1_2)]);
      if (ctx.dataType === "float64") scaled = ctx.op("Cast", [scaled], { to: castTo.float32 });
      let erf = ctx.op("Erf", [scaled]);
      if (ctx.dataType === "float64") erf = ctx.op("Cast", [erf], { to: castTo.float64 });
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
