/**
 * Constants in shape inference: initializers and `Constant` nodes, whose small integer contents feed
 * Reshape targets, Slice parameters and the like.
 */
import type { Dim, GraphNode, TensorConstant } from "../types.ts";
import type { InferredValue, ShapeRule } from "./context.ts";

/** Largest element count whose contents are tracked (shape vectors are short). */
const MAX_TRACKED = 64;

/** Contents of a small integer tensor constant, for shape computations. */
export function constantContents(tensor: TensorConstant): Dim[] | undefined {
  const data = tensor.data;
  if (data === undefined || tensor.dims.length > 1 || data.length > MAX_TRACKED) return undefined;
  if (data instanceof BigInt64Array) return Array.from(data, (value) => Number(value));
  if (data instanceof Int32Array) return Array.from(data);
  return undefined;
}

/** The inferred value of a constant tensor. */
export function constantValue(tensor: TensorConstant): InferredValue {
  const contents = constantContents(tensor);
  const value: InferredValue = {
    type: { dataType: tensor.dataType, shape: [...tensor.dims] },
    constant: tensor,
  };
  if (contents !== undefined) value.contents = contents;
  return value;
}

/** The tensor a `Constant` node produces, or undefined (sparse values are not held). */
export function constantNodeTensor(node: GraphNode): TensorConstant | undefined {
  const name = node.outputs[0] ?? "";
  const attribute = Object.entries(node.attributes)[0];
  if (attribute === undefined) return undefined;
  const [key, value] = attribute;
  switch (key) {
    case "value":
      return value.type === "tensor" ? { ...value.value, name } : undefined;
    case "value_float":
      return value.type === "float"
        ? { name, dataType: "float32", dims: [], data: Float32Array.of(value.value) }
        : undefined;
    case "value_floats":
      return value.type === "floats"
        ? { name, dataType: "float32", dims: [value.value.length], data: Float32Array.from(value.value) }
        : undefined;
    case "value_int":
      return value.type === "int"
        ? { name, dataType: "int64", dims: [], data: BigInt64Array.of(BigInt(value.value)) }
        : undefined;
    case "value_ints":
      return value.type === "ints"
        ? {
            name,
            dataType: "int64",
            dims: [value.value.length],
            data: BigInt64Array.from(value.value, BigInt),
          }
        : undefined;
    case "value_string":
      return value.type === "string"
        ? { name, dataType: "string", dims: [], data: [value.value] }
        : undefined;
    case "value_strings":
      return value.type === "strings"
        ? { name, dataType: "string", dims: [value.value.length], data: [...value.value] }
        : undefined;
    default:
      return undefined;
  }
}

export const constant: ShapeRule = (context) => {
  const tensor = constantNodeTensor(context.node);
  return [tensor === undefined ? undefined : constantValue(tensor)];
};
