/**
 * Every built-in gradient rule, in one list (one file per operator in this folder). A test checks the
 * list has no duplicate (opType, domain) and names every file here.
 */
import type { GradientRule } from "../types.ts";
import { absRule } from "./Abs.ts";
import { addRule } from "./Add.ts";
import { castRule } from "./Cast.ts";
import { clipRule } from "./Clip.ts";
import { concatRule } from "./Concat.ts";
import { cosRule } from "./Cos.ts";
import { cumSumRule } from "./CumSum.ts";
import { divRule } from "./Div.ts";
import { dropoutRule } from "./Dropout.ts";
import { einsumRule } from "./Einsum.ts";
import { erfRule } from "./Erf.ts";
import { expRule } from "./Exp.ts";
import { expandRule } from "./Expand.ts";
import { flattenRule } from "./Flatten.ts";
import { gatherRule } from "./Gather.ts";
import { gatherElementsRule } from "./GatherElements.ts";
import { geluRule } from "./Gelu.ts";
import { gemmRule } from "./Gemm.ts";
import { identityRule } from "./Identity.ts";
import { layerNormalizationRule } from "./LayerNormalization.ts";
import { logRule } from "./Log.ts";
import { logSoftmaxRule } from "./LogSoftmax.ts";
import { matMulRule } from "./MatMul.ts";
import { maxRule } from "./Max.ts";
import { minRule } from "./Min.ts";
import { mulRule } from "./Mul.ts";
import { negRule } from "./Neg.ts";
import { padRule } from "./Pad.ts";
import { powRule } from "./Pow.ts";
import { reciprocalRule } from "./Reciprocal.ts";
import { reduceL2Rule } from "./ReduceL2.ts";
import { reduceMaxRule } from "./ReduceMax.ts";
import { reduceMeanRule } from "./ReduceMean.ts";
import { reduceMinRule } from "./ReduceMin.ts";
import { reduceSumRule } from "./ReduceSum.ts";
import { reduceSumSquareRule } from "./ReduceSumSquare.ts";
import { reluRule } from "./Relu.ts";
import { reshapeRule } from "./Reshape.ts";
import { sigmoidRule } from "./Sigmoid.ts";
import { sinRule } from "./Sin.ts";
import { sliceRule } from "./Slice.ts";
import { softmaxRule } from "./Softmax.ts";
import { splitRule } from "./Split.ts";
import { sqrtRule } from "./Sqrt.ts";
import { squeezeRule } from "./Squeeze.ts";
import { subRule } from "./Sub.ts";
import { sumRule } from "./Sum.ts";
import { tanhRule } from "./Tanh.ts";
import { tileRule } from "./Tile.ts";
import { transposeRule } from "./Transpose.ts";
import { triluRule } from "./Trilu.ts";
import { unsqueezeRule } from "./Unsqueeze.ts";
import { whereRule } from "./Where.ts";

/** The built-in gradient rules. */
export const gradientRules: readonly GradientRule[] = [
  absRule,
  addRule,
  castRule,
  clipRule,
  concatRule,
  cosRule,
  cumSumRule,
  divRule,
  dropoutRule,
  einsumRule,
  erfRule,
  expRule,
  expandRule,
  flattenRule,
  gatherRule,
  gatherElementsRule,
  geluRule,
  gemmRule,
  identityRule,
  layerNormalizationRule,
  logRule,
  logSoftmaxRule,
  matMulRule,
  maxRule,
  minRule,
  mulRule,
  negRule,
  padRule,
  powRule,
  reciprocalRule,
  reduceL2Rule,
  reduceMaxRule,
  reduceMeanRule,
  reduceMinRule,
  reduceSumRule,
  reduceSumSquareRule,
  reluRule,
  reshapeRule,
  sigmoidRule,
  sinRule,
  sliceRule,
  softmaxRule,
  splitRule,
  sqrtRule,
  squeezeRule,
  subRule,
  sumRule,
  tanhRule,
  tileRule,
  transposeRule,
  triluRule,
  unsqueezeRule,
  whereRule,
];
