/**
 * Make intermediate values graph outputs so a runtime returns them (activations for attribution,
 * say). Their element type and shape come from shape inference, or the graph's value infos.
 */
import { TensorBackendError } from "../../errors.ts";
import { type InferenceOptions, inferGraphTypes } from "../shape-inference.ts";
import type { Graph, ValueInfo } from "../types.ts";

/**
 * A copy of `graph` with `names` appended to its outputs (names already outputs are left alone).
 * @throws TensorBackendError INVALID_ARGUMENT for a name the graph does not define, or whose type
 * cannot be inferred.
 */
export function exposeTensors(graph: Graph, names: readonly string[], options: InferenceOptions = {}): Graph {
  const types = inferGraphTypes(graph, options);
  const declared = new Map(graph.valueInfo.map((info) => [info.name, info]));
  const outputs = [...graph.outputs];
  const present = new Set(outputs.map((output) => output.name));
  const defined = new Set([
    ...graph.inputs.map((input) => input.name),
    ...graph.initializers.map((tensor) => tensor.name),
    ...graph.nodes.flatMap((node) => node.outputs),
  ]);
  for (const name of names) {
    if (present.has(name)) continue;
    if (!defined.has(name)) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `cannot expose '${name}': no value of that name in graph '${graph.name}'`,
        {
          hint: "Use a node output, input or initializer name (inspectModel lists them).",
        },
      );
    }
    const type = types.get(name) ?? declared.get(name);
    if (type === undefined || type.untyped === true) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `cannot expose '${name}': its element type is unknown`,
        {
          hint: "Add a valueInfo entry for it, or run ONNX shape inference on the model first.",
        },
      );
    }
    const output: ValueInfo = { name, dataType: type.dataType };
    if (type.shape !== undefined) output.shape = [...type.shape];
    outputs.push(output);
    present.add(name);
  }
  return { ...graph, outputs };
}
