import type { GraphContext } from "../context.ts";

/**
 * Beyond this |x|, erf(x) is ±1 within erfc(6) ≈ 2.2e-17 (below float64's resolution at 1), so
 * the series is evaluated on x clipped to it.
 */
const CLIP = 6;
/** Terms of the series that reach 1e-17 of its sum at |x| = CLIP. */
const TERMS = 98;

/**
 * erf(x) in float64 from elementary operators, for float64 graphs: ONNX Runtime has no float64
 * Erf kernel, and evaluating it in float32 leaves about 1e-7. The series
 * erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)) has only positive terms (no
 * cancellation, unlike the Taylor series of erf itself), so its float64 sum is accurate to a few
 * ulp; it is summed in Horner form, innermost term first, on x clipped to ±CLIP. Differentiable by
 * the autodiff's rules for Clip, Mul, Add and Exp; its derivative equals 2/√π · e^(−x²) to the
 * same accuracy.
 */
export function erfFloat64(ctx: GraphContext, x: string): string {
  const clipped = ctx.op("Clip", [x, ctx.float(-CLIP), ctx.float(CLIP)]);
  const square = ctx.op("Mul", [clipped, clipped]);
  const twiceSquare = ctx.op("Mul", [square, ctx.float(2)]);
  // Σ = x (1 + y/3 (1 + y/5 (1 + ... (1 + y/(2N+1))))) with y = 2x².
  let acc = ctx.float(1);
  for (let n = TERMS; n >= 1; n--) {
    const ratio = ctx.op("Mul", [twiceSquare, ctx.float(1 / (2 * n + 1))]);
    acc = ctx.op("Add", [ctx.float(1), ctx.op("Mul", [ratio, acc])]);
  }
  const series = ctx.op("Mul", [clipped, acc]);
  const gauss = ctx.op("Exp", [ctx.op("Neg", [square])]);
  return ctx.op("Mul", [ctx.op("Mul", [series, gauss]), ctx.float(2 / Math.sqrt(Math.PI))]);
}
