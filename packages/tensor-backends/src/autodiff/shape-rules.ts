/**
 * Output shapes of common operators from input shapes and small constants: the shape half of
 * {@link inferGraphInfo}. Unknown stays unknown (undefined rank, or `null` dims).
 */
import type { Dim, GraphNode } from "../graph/types.ts";
import type { TensorInfo } from "./types.ts";

type Shape = Dim[] | undefined;

const SAME_SHAPE = new Set([
  "Neg",
  "Sqrt",
  "Reciprocal",
  "Exp",
  "Log",
  "Tanh",
  "Sigmoid",
  "Erf",
  "Relu",
  "Gelu",
  "Softmax",
  "LogSoftmax",
  "Cos",
  "Sin",
  "Abs",
  "Identity",
  "Cast",
  "CastLike",
  "Dropout",
  "CumSum",
  "Softplus",
  "LeakyRelu",
  "Elu",
  "Clip",
  "Trilu",
  "Not",
  "IsNaN",
  "IsInf",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "HardSigmoid",
  "Selu",
  "LayerNormalization",
  "SimplifiedLayerNormalization",
  "FastGelu",
  "QuickGelu",
  "BiasGelu",
  "SkipLayerNormalization",
  "SkipSimplifiedLayerNormalization",
  "RotaryEmbedding",
  "Mish",
  "Atan",
  "Tan",
]);

const BROADCAST = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Max",
  "Min",
  "Sum",
  "Mean",
  "Where",
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Mod",
  "PRelu",
  "BitShift",
]);

/** Broadcast two dims; null when it cannot be told statically. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === "number" && typeof b !== "number") return a;
  if (typeof b === "number" && typeof a !== "number") return b;
  return null;
}

/** Numpy-style broadcast of shapes (right-aligned); undefined when any rank is unknown. */
export function broadcastShapes(shapes: readonly Shape[]): Shape {
  if (shapes.some((shape) => shape === undefined)) return undefined;
  const rank = Math.max(0, ...shapes.map((shape) => shape!.length));
  const result: Dim[] = new Array(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape!.length;
    shape!.forEach((dim, index) => {
      result[offset + index] = broadcastDim(result[offset + index]!, dim);
    });
  }
  return result;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function intAttribute(node: GraphNode, name: string, fallback: number): number {
  const attribute = node.attributes[name];
  return attribute?.type === "int" ? attribute.value : fallback;
}

function intsAttribute(node: GraphNode, name: string): number[] | undefined {
  const attribute = node.attributes[name];
  return attribute?.type === "ints" ? attribute.value : undefined;
}

function product(dims: readonly Dim[]): Dim {
  let total = 1;
  for (const dim of dims) {
    if (typeof dim !== "number") return null;
    total *= dim;
  }
  return total;
}

function reshapeTarget(input: Shape, target: number[], allowZero: boolean): Dim[] {
  const dims: Dim[] = target.map((dim, index) => (dim === 0 && !allowZero ? (input?.[index] ?? null) : dim));
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    const total = input === undefined ? null : product(input);
    const known = product(dims.filter((_, index) => index !== inferred));
    dims[inferred] =
      typeof total === "number" && typeof known === "number" && known !== 0 ? total / known : null;
  }
  return dims;
}

function axesOf(node: GraphNode, ints: Map<string, number[]>, inputSlot: number): number[] | undefined {
  return intsAttribute(node, "axes") ?? ints.get(node.inputs[inputSlot] ?? "");
}

function reduceShape(node: GraphNode, input: Shape, ints: Map<string, number[]>): Shape {
  if (input === undefined) return undefined;
  const keep = intAttribute(node, "keepdims", 1) === 1;
  const hasAxesInput = (node.inputs[1] ?? "") !== "";
  const axes = axesOf(node, ints, 1);
  if (axes === undefined && hasAxesInput) return keep ? input.map(() => null) : undefined;
  const all = axes === undefined || axes.length === 0;
  if (all && intAttribute(node, "noop_with_empty_axes", 0) === 1) return input;
  const reduced = new Set(
    all ? input.map((_, index) => index) : axes.map((axis) => normalizeAxis(axis, input.length)),
  );
  if (keep) return input.map((dim, index) => (reduced.has(index) ? 1 : dim));
  return input.filter((_, index) => !reduced.has(index));
}

function matMulShape(a: Shape, b: Shape): Shape {
  if (a === undefined || b === undefined) return undefined;
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShapes([left.slice(0, -2), right.slice(0, -2)])!;
  const out = [...batch, left[left.length - 2]!, right[right.length - 1]!];
  if (b.length === 1) out.splice(out.length - 1, 1);
  if (a.length === 1) out.splice(out.length - (b.length === 1 ? 1 : 2), 1);
  return out;
}

function sliceShape(node: GraphNode, input: Shape, ints: Map<string, number[]>): Shape {
  if (input === undefined) return undefined;
  const starts = ints.get(node.inputs[1] ?? "");
  const ends = ints.get(node.inputs[2] ?? "");
  const axes = (node.inputs[3] ?? "") === "" ? starts?.map((_, index) => index) : ints.get(node.inputs[3]!);
  const steps = (node.inputs[4] ?? "") === "" ? starts?.map(() => 1) : ints.get(node.inputs[4]!);
  if (starts === undefined || ends === undefined || axes === undefined || steps === undefined) {
    return input.map(() => null);
  }
  const out = [...input];
  axes.forEach((rawAxis, index) => {
    const axis = normalizeAxis(rawAxis, input.length);
    const size = input[axis];
    const step = steps[index]!;
    if (typeof size !== "number") {
      out[axis] = null;
      return;
    }
    const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);
    const fix = (value: number) => (value < 0 ? value + size : value);
    const start = step > 0 ? clamp(fix(starts[index]!), 0, size) : clamp(fix(starts[index]!), -1, size - 1);
    const end = step > 0 ? clamp(fix(ends[index]!), 0, size) : clamp(fix(ends[index]!), -1, size - 1);
    out[axis] = Math.max(0, Math.ceil((end - start) / step));
  });
  return out;
}

function einsumShape(node: GraphNode, inputs: Shape[]): Shape {
  const equation = node.attributes["equation"];
  if (equation?.type !== "string") return undefined;
  const [lhs, rhs] = equation.value.replace(/\s/g, "").split("->");
  if (rhs === undefined || lhs === undefined || rhs.includes("...")) return undefined;
  const sizes = new Map<string, Dim>();
  lhs.split(",").forEach((term, index) => {
    const shape = inputs[index];
    if (shape === undefined || term.includes("...")) return;
    [...term].forEach((letter, position) => {
      sizes.set(letter, broadcastDim(sizes.get(letter) ?? 1, shape[position] ?? null));
    });
  });
  return [...rhs].map((letter) => sizes.get(letter) ?? null);
}

/** Shapes of a node's outputs (index-aligned; undefined entries are unknown). */
export function inferNodeShape(
  node: GraphNode,
  types: Map<string, TensorInfo>,
  ints: Map<string, number[]>,
): Shape[] {
  const shapes = node.inputs.map((name) => (name === "" ? undefined : types.get(name)?.shape));
  const x = shapes[0];
  const op = node.opType;
  if (SAME_SHAPE.has(op)) return node.outputs.map((_, index) => (index === 0 ? x : undefined));
  if (BROADCAST.has(op)) return [broadcastShapes(shapes.filter((_, index) => node.inputs[index] !== ""))];
  switch (op) {
    case "MatMul":
      return [matMulShape(x, shapes[1])];
    case "Gemm": {
      if (x === undefined || shapes[1] === undefined) return [];
      const m = intAttribute(node, "transA", 0) ? x[1] : x[0];
      const n = intAttribute(node, "transB", 0) ? shapes[1][0] : shapes[1][1];
      return [[m ?? null, n ?? null]];
    }
    case "Transpose": {
      if (x === undefined) return [];
      const perm = intsAttribute(node, "perm") ?? x.map((_, index) => x.length - 1 - index);
      return [perm.map((axis) => x[axis] ?? null)];
    }
    case "Reshape": {
      const target = ints.get(node.inputs[1] ?? "");
      if (target !== undefined) return [reshapeTarget(x, target, intAttribute(node, "allowzero", 0) === 1)];
      const length = shapes[1]?.[0];
      return typeof length === "number" ? [new Array(length).fill(null)] : [];
    }
    case "Flatten": {
      if (x === undefined) return [];
      const axis = normalizeAxis(intAttribute(node, "axis", 1), x.length);
      return [[product(x.slice(0, axis)), product(x.slice(axis))]];
    }
    case "Squeeze": {
      if (x === undefined) return [];
      const axes = axesOf(node, ints, 1);
      if (axes === undefined) return (node.inputs[1] ?? "") === "" ? [x.filter((dim) => dim !== 1)] : [];
      const drop = new Set(axes.map((axis) => normalizeAxis(axis, x.length)));
      return [x.filter((_, index) => !drop.has(index))];
    }
    case "Unsqueeze": {
      const axes = axesOf(node, ints, 1);
      if (x === undefined || axes === undefined) return [];
      const rank = x.length + axes.length;
      const inserted = new Set(axes.map((axis) => normalizeAxis(axis, rank)));
      const rest = [...x];
      return [Array.from({ length: rank }, (_, index) => (inserted.has(index) ? 1 : (rest.shift() ?? null)))];
    }
    case "Concat": {
      if (shapes.some((shape) => shape === undefined) || x === undefined) return [];
      const axis = normalizeAxis(intAttribute(node, "axis", 0), x.length);
      const out = [...x];
      const sizes = shapes.map((shape) => shape![axis] ?? null);
      out[axis] =
        product([1, ...sizes]) === null ? null : sizes.reduce<number>((sum, dim) => sum + (dim as number), 0);
      return [out];
    }
    case "Split": {
      if (x === undefined) return [];
      const axis = normalizeAxis(intAttribute(node, "axis", 0), x.length);
      const split = intsAttribute(node, "split") ?? ints.get(node.inputs[1] ?? "");
      const size = x[axis];
      return node.outputs.map((_, index) => {
        const out = [...x];
        const even = typeof size === "number" && split === undefined ? size / node.outputs.length : null;
        out[axis] = split?.[index] ?? (Number.isInteger(even) ? even : null);
        return out;
      });
    }
    case "Slice":
      return [sliceShape(node, x, ints)];
    case "Gather": {
      if (x === undefined || shapes[1] === undefined) return [];
      const axis = normalizeAxis(intAttribute(node, "axis", 0), x.length);
      return [[...x.slice(0, axis), ...shapes[1], ...x.slice(axis + 1)]];
    }
    case "GatherElements":
      return [shapes[1]];
    case "Expand": {
      const target = ints.get(node.inputs[1] ?? "");
      if (target !== undefined) return [broadcastShapes([x, target])];
      const length = shapes[1]?.[0];
      return typeof length === "number" && x !== undefined
        ? [new Array(Math.max(length, x.length)).fill(null)]
        : [];
    }
    case "Tile": {
      const repeats = ints.get(node.inputs[1] ?? "");
      if (x === undefined) return [];
      return [x.map((dim, index) => (typeof dim === "number" && repeats ? dim * repeats[index]! : null))];
    }
    case "Pad": {
      if (x === undefined) return [];
      const pads = ints.get(node.inputs[1] ?? "");
      if (pads === undefined || pads.length !== 2 * x.length) return [x.map(() => null)];
      return [
        x.map((dim, index) =>
          typeof dim === "number" ? dim + pads[index]! + pads[index + x.length]! : null,
        ),
      ];
    }
    case "ReduceSum":
    case "ReduceMean":
    case "ReduceMax":
    case "ReduceMin":
    case "ReduceL2":
    case "ReduceL1":
    case "ReduceProd":
    case "ReduceSumSquare":
    case "ReduceLogSumExp":
    case "ArgMax":
    case "ArgMin":
      return [reduceShape(node, x, ints)];
    case "Shape": {
      if (x === undefined) return [[null]];
      const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + x.length : value, 0), x.length);
      return [
        [Math.max(0, clamp(intAttribute(node, "end", x.length)) - clamp(intAttribute(node, "start", 0)))],
      ];
    }
    case "Size":
      return [[]];
    case "ConstantOfShape": {
      const target = ints.get(node.inputs[0] ?? "");
      if (target !== undefined) return [target];
      const length = x?.[0];
      return typeof length === "number" ? [new Array(length).fill(null)] : [];
    }
    case "Range":
      return [[null]];
    case "Einsum":
      return [einsumShape(node, shapes)];
    case "NonZero":
      return [x === undefined ? [null, null] : [x.length, null]];
    default:
      return [];
  }
}
