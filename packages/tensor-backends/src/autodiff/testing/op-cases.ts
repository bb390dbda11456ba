/**
 * Finite-difference cases for every built-in gradient rule: random float inputs, broadcasting and
 * batch > 1 wherever the operator allows, constant and run-time shape/axes inputs. Keyed by opType;
 * a test checks that every rule has at least one case.
 */
import type { OpCase } from "./gradient-check.ts";

const positive: [number, number] = [0.5, 2];
const i64 = (shape: number[], values: number[], runtime = false) => ({
  shape,
  dataType: "int64" as const,
  values,
  runtime,
});

/** Cases per operator type. */
export const OP_CASES: Record<string, OpCase[]> = {
  Add: [{ name: "broadcast both", opType: "Add", inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }] }],
  Sub: [{ name: "broadcast rank", opType: "Sub", inputs: [{ shape: [2, 3, 4] }, { shape: [4] }] }],
  Mul: [{ name: "broadcast middle", opType: "Mul", inputs: [{ shape: [2, 3, 4] }, { shape: [1, 3, 1] }] }],
  Div: [
    { name: "broadcast", opType: "Div", inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1], range: positive }] },
  ],
  Neg: [{ name: "batch", opType: "Neg", inputs: [{ shape: [2, 3] }] }],
  Pow: [
    {
      name: "both operands",
      opType: "Pow",
      inputs: [
        { shape: [2, 3], range: positive },
        { shape: [3], range: positive },
      ],
    },
    {
      name: "constant square",
      opType: "Pow",
      inputs: [{ shape: [2, 3] }, { shape: [], values: [2], runtime: false, wrt: false }],
    },
  ],
  Sqrt: [{ name: "positive", opType: "Sqrt", inputs: [{ shape: [2, 3], range: positive }] }],
  Reciprocal: [{ name: "positive", opType: "Reciprocal", inputs: [{ shape: [2, 3], range: positive }] }],
  Exp: [{ name: "batch", opType: "Exp", inputs: [{ shape: [2, 3] }] }],
  Log: [{ name: "positive", opType: "Log", inputs: [{ shape: [2, 3], range: positive }] }],
  Tanh: [{ name: "batch", opType: "Tanh", inputs: [{ shape: [2, 3] }] }],
  Sigmoid: [{ name: "batch", opType: "Sigmoid", inputs: [{ shape: [2, 3] }] }],
  // ONNX Runtime has no float64 Erf kernel: checked in float32.
  Erf: [{ name: "float32", opType: "Erf", dataType: "float32", inputs: [{ shape: [2, 3] }] }],
  Relu: [{ name: "batch", opType: "Relu", inputs: [{ shape: [2, 3, 2] }] }],
  Gelu: [
    {
      name: "tanh",
      opType: "Gelu",
      opset: 20,
      attributes: { approximate: "tanh" },
      inputs: [{ shape: [2, 3], range: [-2, 2] }],
    },
    // Exact Gelu runs through Erf, which has no float64 kernel: float32.
    {
      name: "exact float32",
      opType: "Gelu",
      opset: 20,
      dataType: "float32",
      inputs: [{ shape: [2, 3], range: [-2, 2] }],
    },
  ],
  Softmax: [
    {
      name: "axis 1",
      opType: "Softmax",
      attributes: { axis: 1 },
      inputs: [{ shape: [2, 3, 4], range: [-2, 2] }],
    },
    {
      name: "default axis opset 13",
      opType: "Softmax",
      opset: 13,
      inputs: [{ shape: [2, 5], range: [-2, 2] }],
    },
  ],
  LogSoftmax: [
    {
      name: "last axis",
      opType: "LogSoftmax",
      attributes: { axis: -1 },
      inputs: [{ shape: [2, 3, 4], range: [-2, 2] }],
    },
  ],
  MatMul: [
    { name: "batched by matrix", opType: "MatMul", inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }] },
    { name: "broadcast batches", opType: "MatMul", inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }] },
    { name: "vector by batch", opType: "MatMul", inputs: [{ shape: [4] }, { shape: [2, 4, 3] }] },
    { name: "batch by vector", opType: "MatMul", inputs: [{ shape: [2, 3, 4] }, { shape: [4] }] },
    { name: "dot", opType: "MatMul", inputs: [{ shape: [4] }, { shape: [4] }] },
  ],
  Gemm: [
    {
      name: "transB alpha beta",
      opType: "Gemm",
      attributes: { transB: 1, alpha: 0.5, beta: 2.5 },
      inputs: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }],
    },
    {
      name: "transA",
      opType: "Gemm",
      attributes: { transA: 1 },
      inputs: [{ shape: [4, 3] }, { shape: [4, 2] }, { shape: [3, 1] }],
    },
  ],
  Einsum: [
    {
      name: "batched matmul",
      opType: "Einsum",
      attributes: { equation: "bij,jk->bik" },
      inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }],
    },
    {
      name: "attention scores",
      opType: "Einsum",
      attributes: { equation: "bhqd,bhkd->bhqk" },
      inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 3, 4] }],
    },
    {
      name: "row sums (lonely letter)",
      opType: "Einsum",
      attributes: { equation: "ij->i" },
      inputs: [{ shape: [3, 4] }],
    },
    {
      name: "ellipsis broadcast",
      opType: "Einsum",
      attributes: { equation: "...ij,...jk->...ik" },
      inputs: [{ shape: [2, 3, 4] }, { shape: [1, 4, 2] }],
    },
    {
      name: "implicit output",
      opType: "Einsum",
      attributes: { equation: "ij,jk" },
      inputs: [{ shape: [3, 4] }, { shape: [4, 2] }],
    },
  ],
  Transpose: [
    { name: "perm", opType: "Transpose", attributes: { perm: [2, 0, 1] }, inputs: [{ shape: [2, 3, 4] }] },
    { name: "default perm", opType: "Transpose", inputs: [{ shape: [2, 3, 4] }] },
  ],
  Reshape: [
    { name: "constant shape", opType: "Reshape", inputs: [{ shape: [2, 3, 4] }, i64([2], [6, -1])] },
    { name: "run-time shape", opType: "Reshape", inputs: [{ shape: [2, 3, 4] }, i64([3], [4, 0, 2], true)] },
  ],
  Flatten: [{ name: "axis 2", opType: "Flatten", attributes: { axis: 2 }, inputs: [{ shape: [2, 3, 4] }] }],
  Squeeze: [{ name: "axis 1", opType: "Squeeze", inputs: [{ shape: [2, 1, 3] }, i64([1], [1])] }],
  Unsqueeze: [{ name: "two axes", opType: "Unsqueeze", inputs: [{ shape: [2, 3] }, i64([2], [0, -1])] }],
  Concat: [
    {
      name: "three inputs",
      opType: "Concat",
      attributes: { axis: 1 },
      inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }],
    },
    {
      name: "negative axis",
      opType: "Concat",
      attributes: { axis: -2 },
      inputs: [{ shape: [1, 3] }, { shape: [2, 3] }],
    },
  ],
  Split: [
    {
      name: "unseeded piece",
      opType: "Split",
      outputs: 3,
      of: [0, 2],
      attributes: { axis: 1 },
      inputs: [{ shape: [2, 6] }, i64([3], [1, 2, 3])],
    },
  ],
  Slice: [
    {
      name: "steps and negatives",
      opType: "Slice",
      inputs: [
        { shape: [4, 5, 3] },
        i64([2], [1, -1]),
        i64([2], [3, 0]),
        i64([2], [0, 1]),
        i64([2], [1, -2]),
      ],
    },
    {
      name: "constant unit steps, clamped ends (padded back)",
      opType: "Slice",
      inputs: [{ shape: [2, 6, 4] }, i64([2], [1, -3]), i64([2], [4, 100]), i64([2], [1, -1])],
    },
    {
      name: "run-time starts",
      opType: "Slice",
      inputs: [{ shape: [2, 6] }, i64([1], [2], true), i64([1], [5], true), i64([1], [-1], true)],
    },
  ],
  Gather: [
    {
      name: "repeated and negative indices",
      opType: "Gather",
      inputs: [{ shape: [5, 3] }, i64([2, 2], [0, 4, -1, 0])],
    },
    {
      name: "last position",
      opType: "Gather",
      attributes: { axis: 1 },
      inputs: [{ shape: [2, 4, 3] }, i64([], [-1])],
    },
  ],
  GatherElements: [
    {
      name: "scatter-add opset 18",
      opType: "GatherElements",
      attributes: { axis: 1 },
      inputs: [{ shape: [3, 4] }, i64([3, 4], [0, 0, 3, -1, 1, 2, 2, 0, 3, 3, 3, 1])],
    },
    {
      name: "one-hot opset 13",
      opType: "GatherElements",
      opset: 13,
      attributes: { axis: 0 },
      inputs: [{ shape: [3, 2] }, i64([3, 2], [0, 2, 2, 2, -1, 0])],
    },
  ],
  Expand: [{ name: "to rank 3", opType: "Expand", inputs: [{ shape: [3, 1] }, i64([3], [2, 3, 4])] }],
  Tile: [{ name: "both axes", opType: "Tile", inputs: [{ shape: [2, 3] }, i64([2], [2, 3])] }],
  Where: [
    {
      name: "broadcast",
      opType: "Where",
      inputs: [{ shape: [3, 1], dataType: "bool", values: [1, 0, 1] }, { shape: [2, 3, 4] }, { shape: [4] }],
    },
  ],
  ReduceSum: [
    {
      name: "axis 1 dropped",
      opType: "ReduceSum",
      attributes: { keepdims: 0 },
      inputs: [{ shape: [2, 3, 4] }, i64([1], [1])],
    },
    { name: "two axes kept", opType: "ReduceSum", inputs: [{ shape: [2, 3, 4] }, i64([2], [0, -1])] },
    { name: "all axes", opType: "ReduceSum", attributes: { keepdims: 0 }, inputs: [{ shape: [2, 3] }] },
    {
      name: "run-time axes",
      opType: "ReduceSum",
      attributes: { keepdims: 0 },
      inputs: [{ shape: [2, 3, 4] }, i64([1], [-2], true)],
    },
  ],
  ReduceMean: [
    {
      name: "attribute axes opset 13",
      opType: "ReduceMean",
      opset: 13,
      attributes: { axes: [-1], keepdims: 0 },
      inputs: [{ shape: [2, 3, 4] }],
    },
    {
      name: "input axes opset 18",
      opType: "ReduceMean",
      attributes: { keepdims: 0 },
      inputs: [{ shape: [2, 3, 4] }, i64([1], [1])],
    },
  ],
  ReduceMax: [
    {
      name: "axis 1",
      opType: "ReduceMax",
      attributes: { keepdims: 0 },
      inputs: [{ shape: [2, 3, 4] }, i64([1], [1])],
    },
  ],
  ReduceMin: [
    { name: "all axes", opType: "ReduceMin", attributes: { keepdims: 0 }, inputs: [{ shape: [2, 3] }] },
  ],
  ReduceL2: [{ name: "last axis", opType: "ReduceL2", inputs: [{ shape: [2, 3, 4] }, i64([1], [-1])] }],
  ReduceSumSquare: [
    {
      name: "axis 0",
      opType: "ReduceSumSquare",
      attributes: { keepdims: 0 },
      inputs: [{ shape: [2, 3] }, i64([1], [0])],
    },
  ],
  Max: [
    {
      name: "three broadcast",
      opType: "Max",
      inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1] }],
    },
  ],
  Min: [{ name: "two broadcast", opType: "Min", inputs: [{ shape: [2, 3] }, { shape: [2, 1] }] }],
  Clip: [
    {
      name: "both bounds",
      opType: "Clip",
      inputs: [
        { shape: [2, 3, 4], range: [-2, 2] },
        { shape: [], values: [-0.5] },
        { shape: [], values: [0.7] },
      ],
    },
    {
      name: "max only",
      opType: "Clip",
      inputs: [
        { shape: [2, 3], range: [-2, 2] },
        { shape: [], omitted: true },
        { shape: [], values: [0.3], wrt: false },
      ],
    },
  ],
  Cast: [
    {
      name: "float32 to float64",
      opType: "Cast",
      dataType: "float32",
      outputDataType: "float64",
      attributes: { to: 11 },
      inputs: [{ shape: [2, 3] }],
    },
  ],
  Identity: [{ name: "batch", opType: "Identity", inputs: [{ shape: [2, 3] }] }],
  Dropout: [{ name: "inference", opType: "Dropout", outputs: 2, inputs: [{ shape: [2, 3] }] }],
  Pad: [
    {
      name: "constant with value",
      opType: "Pad",
      inputs: [{ shape: [2, 3] }, i64([4], [0, 1, 1, 0]), { shape: [], values: [0.25] }],
    },
    {
      name: "reflect",
      opType: "Pad",
      attributes: { mode: "reflect" },
      inputs: [{ shape: [3, 4] }, i64([4], [1, 2, 1, 0])],
    },
    {
      name: "edge",
      opType: "Pad",
      attributes: { mode: "edge" },
      inputs: [{ shape: [2, 3] }, i64([4], [0, 2, 1, 1])],
    },
    { name: "cropping", opType: "Pad", inputs: [{ shape: [3, 4] }, i64([4], [-1, 1, 0, -2])] },
  ],
  CumSum: [
    {
      name: "exclusive reverse",
      opType: "CumSum",
      attributes: { exclusive: 1, reverse: 1 },
      inputs: [{ shape: [2, 3, 4] }, i64([], [1])],
    },
    {
      name: "run-time int32 axis",
      opType: "CumSum",
      inputs: [{ shape: [2, 3] }, { shape: [], dataType: "int32", values: [-1], runtime: true }],
    },
  ],
  LayerNormalization: [
    {
      name: "last axis opset 17",
      opType: "LayerNormalization",
      opset: 17,
      inputs: [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }],
    },
    {
      name: "two axes opset 18",
      opType: "LayerNormalization",
      attributes: { axis: 1, epsilon: 0.01 },
      inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [4] }],
    },
  ],
  Cos: [{ name: "batch", opType: "Cos", inputs: [{ shape: [2, 3] }] }],
  Sin: [{ name: "batch", opType: "Sin", inputs: [{ shape: [2, 3] }] }],
  Abs: [{ name: "batch", opType: "Abs", inputs: [{ shape: [2, 3] }] }],
  Sum: [
    {
      name: "three broadcast",
      opType: "Sum",
      inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1] }],
    },
  ],
  Trilu: [
    {
      name: "lower with k",
      opType: "Trilu",
      attributes: { upper: 0 },
      inputs: [{ shape: [2, 3, 3] }, i64([], [1])],
    },
  ],
};
