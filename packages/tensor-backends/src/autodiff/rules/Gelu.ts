/**
 * Gelu (opset 20), exact or tanh-approximated:
 * exact  y = x·Φ(x):            ∂y/∂x = Φ(x) + x·φ(x)
 * tanh   y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³):
 *        ∂y/∂x = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
 */
import type { GradientRule, VjpContext } from "../types.ts";

const CUBIC = 0.044715;

function exactSlope(ctx: VjpContext, x: string): string {
  const c = (value: number) => ctx.scalarLike(value, x);
  const cdf = ctx.op("Mul", [
    c(0.5),
    ctx.op("Add", [c(1), ctx.op("Erf", [ctx.op("Mul", [x, c(Math.SQRT1_2)])])]),
  ]);
  const pdf = ctx.op("Mul", [
    ctx.op("Exp", [ctx.op("Mul", [ctx.op("Mul", [x, x]), c(-0.5)])]),
    c(1 / Math.sqrt(2 * Math.PI)),
  ]);
  return ctx.op("Add", [cdf, ctx.op("Mul", [x, pdf])]);
}

function tanhSlope(ctx: VjpContext, x: string): string {
  const c = (value: number) => ctx.scalarLike(value, x);
  const scale = Math.sqrt(2 / Math.PI);
  const square = ctx.op("Mul", [x, x]);
  const inner = ctx.op("Mul", [
    c(scale),
    ctx.op("Mul", [x, ctx.op("Add", [c(1), ctx.op("Mul", [c(CUBIC), square])])]),
  ]);
  const t = ctx.op("Tanh", [inner]);
  const half = ctx.op("Mul", [c(0.5), ctx.op("Add", [c(1), t])]);
  const sech2 = ctx.op("Sub", [c(1), ctx.op("Mul", [t, t])]);
  const innerSlope = ctx.op("Mul", [c(scale), ctx.op("Add", [c(1), ctx.op("Mul", [c(3 * CUBIC), square])])]);
  return ctx.op("Add", [
    half,
    ctx.op("Mul", [ctx.op("Mul", [c(0.5), x]), ctx.op("Mul", [sech2, innerSlope])]),
  ]);
}

/** Gradient rule for Gelu. */
export const geluRule: GradientRule = {
  opType: "Gelu",
  domain: "",
  sinceVersion: 20,
  needs: { inputs: [0], outputs: [] },
  vjp(ctx) {
    const x = ctx.input(0);
    const slope = ctx.attr.string("approximate", "none") === "tanh" ? tanhSlope(ctx, x) : exactSlope(ctx, x);
    return [ctx.op("Mul", [ctx.gradOutput(0)!, slope])];
  },
};
