/**
 * Which shape rule each operator uses, keyed by `domain:opType` ("" for standard ONNX).
 * An operator missing here yields unknown outputs.
 */

import { constant } from "./constants.ts";
import type { ShapeRule } from "./context.ts";
import { gatherBlockQuantized, groupQueryAttention, matMulNBits } from "./contrib.ts";
import {
  arithmetic,
  broadcasting,
  cast,
  castLike,
  comparison,
  dequantizeLinear,
  dropout,
  layerNormalization,
  sameAsInput,
  skipLayerNormalization,
  unary,
  unaryToBool,
  where,
} from "./elementwise.ts";
import { argReduce, einsum, gemm, matMul, reduce } from "./reductions.ts";
import {
  concat,
  constantOfShape,
  expand,
  flatten,
  gather,
  likeIndices,
  likeWithDtype,
  nonZero,
  oneHot,
  pad,
  range,
  reshape,
  shapeOf,
  size,
  slice,
  split,
  squeeze,
  tile,
  topK,
  transpose,
  unsqueeze,
} from "./shape-ops.ts";

const UNARY = [
  "Abs",
  "Acos",
  "Acosh",
  "Asin",
  "Asinh",
  "Atan",
  "Atanh",
  "BitwiseNot",
  "Ceil",
  "Celu",
  "Clip",
  "Cos",
  "Cosh",
  "CumSum",
  "Elu",
  "Erf",
  "Exp",
  "Floor",
  "Gelu",
  "HardSigmoid",
  "HardSwish",
  "Hardmax",
  "LeakyRelu",
  "Log",
  "LogSoftmax",
  "LpNormalization",
  "Mish",
  "Neg",
  "Not",
  "Reciprocal",
  "Relu",
  "Round",
  "Selu",
  "Shrink",
  "Sigmoid",
  "Sign",
  "Sin",
  "Sinh",
  "Softmax",
  "Softplus",
  "Softsign",
  "Sqrt",
  "Tan",
  "Tanh",
  "ThresholdedRelu",
  "Trilu",
  "ReverseSequence",
  "InstanceNormalization",
  "BatchNormalization",
  "GroupNormalization",
  "MeanVarianceNormalization",
  "RMSNormalization",
  "ScatterElements",
  "ScatterND",
  "Scatter",
];

const BROADCASTING = [
  "Pow",
  "Max",
  "Min",
  "Sum",
  "Mean",
  "Mod",
  "PRelu",
  "BitShift",
  "BitwiseAnd",
  "BitwiseOr",
  "BitwiseXor",
];

const COMPARISON = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor"];

const REDUCE = [
  "ReduceSum",
  "ReduceMean",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL1",
  "ReduceL2",
  "ReduceLogSum",
  "ReduceLogSumExp",
  "ReduceSumSquare",
];

const MICROSOFT_UNARY = [
  "FastGelu",
  "BiasGelu",
  "QuickGelu",
  "Gelu",
  "SimplifiedLayerNormalization",
  "RotaryEmbedding",
];

function table(): Map<string, ShapeRule> {
  const rules = new Map<string, ShapeRule>();
  const add = (names: readonly string[], rule: ShapeRule, domain = "") => {
    for (const name of names) rules.set(`${domain}:${name}`, rule);
  };
  add(UNARY, unary);
  add(BROADCASTING, broadcasting);
  add(COMPARISON, comparison);
  add(REDUCE, reduce);
  add(["Identity"], sameAsInput);
  add(["Add", "Sub", "Mul", "Div"], arithmetic);
  add(["Where"], where);
  add(["Cast"], cast);
  add(["CastLike"], castLike);
  add(["Dropout"], dropout);
  add(["IsNaN", "IsInf"], unaryToBool);
  add(["LayerNormalization"], layerNormalization);
  // ONNX Runtime registers SimplifiedLayerNormalization in the standard domain.
  add(["SimplifiedLayerNormalization"], unary);
  add(["DequantizeLinear"], dequantizeLinear);
  add(["MatMul"], matMul);
  add(["Gemm"], gemm);
  add(["Einsum"], einsum);
  add(["ArgMax", "ArgMin"], argReduce);
  add(["Reshape"], reshape);
  add(["Transpose"], transpose);
  add(["Squeeze"], squeeze);
  add(["Unsqueeze"], unsqueeze);
  add(["Concat"], concat);
  add(["Split"], split);
  add(["Slice"], slice);
  add(["Gather"], gather);
  add(["GatherElements"], likeIndices);
  add(["Expand"], expand);
  add(["Flatten"], flatten);
  add(["Tile"], tile);
  add(["Shape"], shapeOf);
  add(["Size"], size);
  add(["ConstantOfShape"], constantOfShape);
  add(["Range"], range);
  add(["Constant"], constant);
  add(["Pad"], pad);
  add(["TopK"], topK);
  add(["NonZero"], nonZero);
  add(["OneHot"], oneHot);
  add(["EyeLike", "RandomNormalLike", "RandomUniformLike"], likeWithDtype);
  add(MICROSOFT_UNARY, unary, "com.microsoft");
  add(
    ["SkipLayerNormalization", "SkipSimplifiedLayerNormalization"],
    skipLayerNormalization,
    "com.microsoft",
  );
  add(["MatMulNBits"], matMulNBits, "com.microsoft");
  add(["GatherBlockQuantized"], gatherBlockQuantized, "com.microsoft");
  add(["GroupQueryAttention"], groupQueryAttention, "com.microsoft");
  return rules;
}

/** Rules by `domain:opType`; the standard domain is "" (an "ai.onnx" domain is looked up as ""). */
export const SHAPE_RULES: ReadonlyMap<string, ShapeRule> = table();

/** The rule for an operator, if any. */
export function shapeRuleFor(opType: string, domain: string): ShapeRule | undefined {
  return SHAPE_RULES.get(`${domain === "ai.onnx" ? "" : domain}:${opType}`);
}
