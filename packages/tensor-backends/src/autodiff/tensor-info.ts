/**
 * Light static inference of element types, (symbolic) shapes and small integer constants, enough for
 * the autodiff to pick axes and to skip runtime shape arithmetic where shapes are provably equal.
 * Declared types (inputs, outputs, value_info, initializers) win over inferred ones. Anything unknown
 * stays unknown: rules fall back to shapes computed at run time.
 */
import { dataTypeFromOnnxOrUndefined } from "../graph/dtypes.ts";
import type { DataType, Dim, Graph, GraphNode, TensorConstant } from "../graph/types.ts";
import { inferNodeShape } from "./shape-rules.ts";
import type { TensorInfo } from "./types.ts";

/** Everything inferred about a graph's values. */
export interface GraphInfo {
  types: Map<string, TensorInfo>;
  /** Integer contents of small constant tensors (shapes, axes, indices). */
  ints: Map<string, number[]>;
}

const SMALL_CONSTANT = 64;

function tensorInts(tensor: TensorConstant): number[] | undefined {
  const data = tensor.data;
  if (data === undefined || Array.isArray(data) || data.length > SMALL_CONSTANT) return undefined;
  if (tensor.dataType !== "int64" && tensor.dataType !== "int32") return undefined;
  return Array.from(data as ArrayLike<number | bigint>, (value) => Number(value));
}

function constantNodeTensor(node: GraphNode): TensorConstant | undefined {
  const value = node.attributes["value"];
  if (value?.type === "tensor") return value.value;
  const int = node.attributes["value_int"];
  if (int?.type === "int")
    return { name: "", dataType: "int64", dims: [], data: new BigInt64Array([BigInt(int.value)]) };
  const ints = node.attributes["value_ints"];
  if (ints?.type === "ints") {
    return {
      name: "",
      dataType: "int64",
      dims: [ints.value.length],
      data: BigInt64Array.from(ints.value.map(BigInt)),
    };
  }
  const float = node.attributes["value_float"];
  if (float?.type === "float")
    return { name: "", dataType: "float32", dims: [], data: new Float32Array([float.value]) };
  const floats = node.attributes["value_floats"];
  if (floats?.type === "floats") {
    return {
      name: "",
      dataType: "float32",
      dims: [floats.value.length],
      data: Float32Array.from(floats.value),
    };
  }
  return undefined;
}

/** Element type of a node's output `index` from its inputs and attributes, when it can be told. */
function outputDataType(
  node: GraphNode,
  index: number,
  types: Map<string, TensorInfo>,
): DataType | undefined {
  const inputType = (slot: number) => types.get(node.inputs[slot] ?? "")?.dataType;
  const attribute = node.attributes;
  switch (node.opType) {
    case "Cast": {
      const to = attribute["to"];
      return to?.type === "int" ? dataTypeFromOnnxOrUndefined(to.value) : undefined;
    }
    case "CastLike":
      return inputType(1);
    case "Shape":
    case "Size":
    case "ArgMax":
    case "ArgMin":
    case "NonZero":
      return "int64";
    case "Equal":
    case "Less":
    case "LessOrEqual":
    case "Greater":
    case "GreaterOrEqual":
    case "Not":
    case "And":
    case "Or":
    case "Xor":
    case "IsNaN":
    case "IsInf":
      return "bool";
    case "Dropout":
      return index === 1 ? "bool" : inputType(0);
    case "TopK":
      return index === 1 ? "int64" : inputType(0);
    case "Where":
      return inputType(1);
    case "ConstantOfShape": {
      const value = attribute["value"];
      return value?.type === "tensor" ? value.value.dataType : "float32";
    }
    case "EyeLike":
    case "RandomNormalLike":
    case "RandomUniformLike": {
      const dtype = attribute["dtype"];
      return dtype?.type === "int" ? dataTypeFromOnnxOrUndefined(dtype.value) : inputType(0);
    }
    case "OneHot":
      return inputType(2);
    case "MatMulNBits":
    case "GatherBlockQuantized":
      return inputType(node.opType === "GatherBlockQuantized" ? 2 : 0);
    case "DequantizeLinear":
      return inputType(1);
    default:
      return inputType(node.inputs.findIndex((name) => name !== ""));
  }
}

/** Infer types, shapes and small integer constants of every value of `graph` it can. */
export function inferGraphInfo(graph: Graph, order: readonly GraphNode[]): GraphInfo {
  const types = new Map<string, TensorInfo>();
  const ints = new Map<string, number[]>();
  const declared = new Map<string, TensorInfo>();
  for (const value of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) {
    if (value.untyped || value.container !== undefined) continue;
    declared.set(value.name, {
      dataType: value.dataType,
      ...(value.shape ? { shape: [...value.shape] } : {}),
    });
  }
  for (const tensor of graph.initializers) {
    types.set(tensor.name, { dataType: tensor.dataType, shape: [...tensor.dims] });
    const values = tensorInts(tensor);
    if (values !== undefined) ints.set(tensor.name, values);
  }
  for (const [name, info] of declared) if (!types.has(name)) types.set(name, info);

  for (const node of order) {
    if (node.opType === "Constant" && (node.domain === "" || node.domain === "ai.onnx")) {
      const tensor = constantNodeTensor(node);
      const output = node.outputs[0];
      if (tensor !== undefined && output !== undefined) {
        types.set(output, { dataType: tensor.dataType, shape: [...tensor.dims] });
        const values = tensorInts(tensor);
        if (values !== undefined) ints.set(output, values);
      }
      continue;
    }
    const shapes = safeShapes(node, types, ints);
    node.outputs.forEach((output, index) => {
      if (output === "") return;
      const known = declared.get(output);
      const dataType = known?.dataType ?? outputDataType(node, index, types);
      if (dataType === undefined) return;
      const shape = known?.shape ?? shapes[index];
      types.set(output, { dataType, ...(shape !== undefined ? { shape } : {}) });
    });
    foldShapeInts(node, types, ints);
  }
  return { types, ints };
}

function safeShapes(
  node: GraphNode,
  types: Map<string, TensorInfo>,
  ints: Map<string, number[]>,
): (Dim[] | undefined)[] {
  try {
    return inferNodeShape(node, types, ints);
  } catch {
    // Inference is an optimisation: a graph it cannot follow still differentiates with runtime shapes.
    return [];
  }
}

/** Fold `Shape` of a fully static value into integer constants (common in exported graphs). */
function foldShapeInts(node: GraphNode, types: Map<string, TensorInfo>, ints: Map<string, number[]>): void {
  if (node.opType !== "Shape") return;
  const shape = types.get(node.inputs[0] ?? "")?.shape;
  const output = node.outputs[0];
  if (shape === undefined || output === undefined || !shape.every((dim) => typeof dim === "number")) return;
  const startAttribute = node.attributes["start"];
  const endAttribute = node.attributes["end"];
  const start = startAttribute?.type === "int" ? startAttribute.value : 0;
  const end = endAttribute?.type === "int" ? endAttribute.value : shape.length;
  ints.set(output, (shape as number[]).slice(start, end));
}
