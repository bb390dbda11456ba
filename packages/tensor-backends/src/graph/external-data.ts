/**
 * Loading tensors whose bytes live outside the .onnx file (ONNX "external data"), through a caller-given
 * file reader so the same code serves Node (fs), browsers (fetch) and tests.
 */
import { TensorBackendError } from "../errors.ts";
import { elementsFromBytes } from "./dtypes.ts";
import type { Attribute, Graph, GraphNode, OnnxModel, TensorConstant } from "./types.ts";

/** Reads a whole external-data file named by its `location` (relative to the model file). */
export type ReadExternalFile = (location: string) => Promise<Uint8Array>;

type FileCache = Map<string, Promise<Uint8Array>>;

async function loadTensor(tensor: TensorConstant, readFile: ReadExternalFile, files: FileCache) {
  if (tensor.data !== undefined || tensor.external === undefined) return tensor;
  const { location, offset, length } = tensor.external;
  let file = files.get(location);
  if (file === undefined) {
    file = readFile(location);
    files.set(location, file);
  }
  const bytes = await file;
  if (offset + length > bytes.byteLength) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `tensor '${tensor.name}' needs bytes ${offset}..${offset + length} of '${location}', which has ${bytes.byteLength}`,
      { hint: "The external data file is truncated or belongs to another export; re-export the model." },
    );
  }
  if (tensor.dataType === "string") {
    throw new TensorBackendError("INVALID_MODEL", `string tensor '${tensor.name}' cannot be external`, {
      hint: "Re-export the model with string tensors inline.",
    });
  }
  const { external: _dropped, ...inline } = tensor;
  return { ...inline, data: elementsFromBytes(tensor.dataType, bytes.subarray(offset, offset + length)) };
}

async function loadAttribute(
  attribute: Attribute,
  readFile: ReadExternalFile,
  files: FileCache,
): Promise<Attribute> {
  switch (attribute.type) {
    case "tensor":
      return { type: "tensor", value: await loadTensor(attribute.value, readFile, files) };
    case "tensors":
      return {
        type: "tensors",
        value: await Promise.all(attribute.value.map((t) => loadTensor(t, readFile, files))),
      };
    case "graph":
      return { type: "graph", value: await loadGraph(attribute.value, readFile, files) };
    case "graphs":
      return {
        type: "graphs",
        value: await Promise.all(attribute.value.map((g) => loadGraph(g, readFile, files))),
      };
    default:
      return attribute;
  }
}

async function loadNode(node: GraphNode, readFile: ReadExternalFile, files: FileCache): Promise<GraphNode> {
  const entries = await Promise.all(
    Object.entries(node.attributes).map(async ([name, value]) => [
      name,
      await loadAttribute(value, readFile, files),
    ]),
  );
  return { ...node, attributes: Object.fromEntries(entries) };
}

async function loadGraph(graph: Graph, readFile: ReadExternalFile, files: FileCache): Promise<Graph> {
  return {
    ...graph,
    initializers: await Promise.all(graph.initializers.map((tensor) => loadTensor(tensor, readFile, files))),
    nodes: await Promise.all(graph.nodes.map((node) => loadNode(node, readFile, files))),
  };
}

/**
 * A copy of `model` whose external tensors (initializers, Constant values, subgraphs) hold their data.
 * Each file is read once; tensor data views the file's bytes where alignment allows.
 * The loaded tensors no longer carry `external`, so `encodeModel` writes them inline.
 */
export async function loadExternalData(model: OnnxModel, readFile: ReadExternalFile): Promise<OnnxModel> {
  return { ...model, graph: await loadGraph(model.graph, readFile, new Map()) };
}

/** True when some tensor of the model still waits for its external data. */
export function hasExternalData(model: OnnxModel): boolean {
  const tensorWaits = (tensor: TensorConstant) => tensor.data === undefined && tensor.external !== undefined;
  const graphWaits = (graph: Graph): boolean =>
    graph.initializers.some(tensorWaits) ||
    graph.nodes.some((node) =>
      Object.values(node.attributes).some(
        (a) =>
          (a.type === "tensor" && tensorWaits(a.value)) ||
          (a.type === "tensors" && a.value.some(tensorWaits)) ||
          (a.type === "graph" && graphWaits(a.value)) ||
          (a.type === "graphs" && a.value.some(graphWaits)),
      ),
    );
  return graphWaits(model.graph);
}
