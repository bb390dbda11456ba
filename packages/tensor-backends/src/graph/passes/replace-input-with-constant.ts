/**
 * Turn a graph input into an initializer with a fixed value (freezing a mask or a position vector,
 * say), so runtimes can fold what depends on it.
 */
import { TensorBackendError } from "../../errors.ts";
import { elementCount } from "../dtypes.ts";
import type { Graph, TensorConstant } from "../types.ts";

/**
 * A copy of `graph` without input `name` and with `tensor` as the initializer of that name.
 * @throws TensorBackendError INVALID_ARGUMENT (no such input), DTYPE_MISMATCH or SHAPE_MISMATCH (the
 * value does not fit the input's declared type).
 */
export function replaceInputWithConstant(graph: Graph, name: string, tensor: TensorConstant): Graph {
  const input = graph.inputs.find((info) => info.name === name);
  if (input === undefined) {
    throw new TensorBackendError("INVALID_ARGUMENT", `graph '${graph.name}' has no input '${name}'`, {
      hint: `Inputs are: ${graph.inputs.map((info) => info.name).join(", ")}.`,
    });
  }
  if (input.dataType !== tensor.dataType && input.untyped !== true) {
    throw new TensorBackendError(
      "DTYPE_MISMATCH",
      `input '${name}' is ${input.dataType} but the value is ${tensor.dataType}`,
      {
        hint: `Make the constant ${input.dataType}.`,
      },
    );
  }
  const shape = input.shape;
  const fits =
    shape === undefined ||
    (shape.length === tensor.dims.length &&
      shape.every((dim, i) => typeof dim !== "number" || dim === tensor.dims[i]));
  if (!fits || (tensor.data !== undefined && tensor.data.length !== elementCount(tensor.dims))) {
    throw new TensorBackendError(
      "SHAPE_MISMATCH",
      `input '${name}' has shape [${shape?.join(", ")}] but the value has dims [${tensor.dims.join(", ")}]`,
      { hint: "Give the constant the input's rank and fixed sizes." },
    );
  }
  return {
    ...graph,
    inputs: graph.inputs.filter((info) => info.name !== name),
    initializers: [...graph.initializers.filter((t) => t.name !== name), { ...tensor, name }],
  };
}
