/**
 * Operators whose outputs carry no gradient from their inputs: they read shapes, compare, index or
 * round, so their outputs are constants for differentiation (their derivative is zero almost
 * everywhere). A path through them is not a gradient path.
 */
import { normalizeDomain } from "./registry.ts";

const CONSTANT_OUTPUT_OPS = new Set([
  "Shape",
  "Size",
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
  "Not",
  "And",
  "Or",
  "Xor",
  "IsNaN",
  "IsInf",
  "ArgMax",
  "ArgMin",
  "NonZero",
  "ConstantOfShape",
  "Range",
  "EyeLike",
  "OneHot",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "RandomNormalLike",
  "RandomUniformLike",
  "Bernoulli",
  "Multinomial",
  "Constant",
  "BitShift",
  "BitwiseAnd",
  "BitwiseOr",
  "BitwiseXor",
  "BitwiseNot",
]);

/** True when no gradient flows through `opType` (standard domain). */
export function hasConstantOutputs(opType: string, domain: string): boolean {
  return normalizeDomain(domain) === "" && CONSTANT_OUTPUT_OPS.has(opType);
}
