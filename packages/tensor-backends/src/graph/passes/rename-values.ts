/**
 * Rename values everywhere they appear: node inputs and outputs, graph inputs, outputs, initializers,
 * value infos, and the outer-scope reads of subgraphs.
 */
import { TensorBackendError } from "../../errors.ts";
import type { Attribute, Graph, GraphNode } from "../types.ts";

/** Every value name a graph defines or reads, subgraphs included. */
export function allValueNames(graph: Graph, into = new Set<string>()): Set<string> {
  for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) into.add(info.name);
  for (const tensor of graph.initializers) into.add(tensor.name);
  for (const node of graph.nodes) {
    for (const name of [...node.inputs, ...node.outputs]) if (name !== "") into.add(name);
    for (const attribute of Object.values(node.attributes)) {
      if (attribute.type === "graph") allValueNames(attribute.value, into);
      if (attribute.type === "graphs") for (const subgraph of attribute.value) allValueNames(subgraph, into);
    }
  }
  return into;
}

function renameAttribute(attribute: Attribute, rename: (name: string) => string): Attribute {
  if (attribute.type === "graph") return { type: "graph", value: applyRename(attribute.value, rename) };
  if (attribute.type === "graphs")
    return { type: "graphs", value: attribute.value.map((g) => applyRename(g, rename)) };
  return attribute;
}

/** Rename every occurrence with `rename` (which must return its argument for names it keeps). */
export function renameNode(node: GraphNode, rename: (name: string) => string): GraphNode {
  const attributes = Object.fromEntries(
    Object.entries(node.attributes).map(([key, attribute]) => [key, renameAttribute(attribute, rename)]),
  );
  return {
    ...node,
    inputs: node.inputs.map((name) => (name === "" ? "" : rename(name))),
    outputs: node.outputs.map((name) => (name === "" ? "" : rename(name))),
    attributes,
  };
}

/** Apply `rename` to every value name of `graph` and its subgraphs. */
export function applyRename(graph: Graph, rename: (name: string) => string): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((node) => renameNode(node, rename)),
    initializers: graph.initializers.map((tensor) => ({ ...tensor, name: rename(tensor.name) })),
    inputs: graph.inputs.map((info) => ({ ...info, name: rename(info.name) })),
    outputs: graph.outputs.map((info) => ({ ...info, name: rename(info.name) })),
    valueInfo: graph.valueInfo.map((info) => ({ ...info, name: rename(info.name) })),
  };
}

/**
 * A copy of `graph` with values renamed by `mapping` (old → new).
 * @throws TensorBackendError INVALID_ARGUMENT when a new name is already used by a value not renamed,
 * or two values would get the same name.
 */
export function renameValues(graph: Graph, mapping: Record<string, string>): Graph {
  const existing = allValueNames(graph);
  const targets = new Set<string>();
  for (const [from, to] of Object.entries(mapping)) {
    const clash = (existing.has(to) && mapping[to] === undefined && to !== from) || targets.has(to);
    if (clash || to === "") {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `cannot rename '${from}' to '${to}': that name is taken`,
        {
          hint: "Pick names not used elsewhere in the graph (subgraphs included).",
        },
      );
    }
    targets.add(to);
  }
  return applyRename(graph, (name) => mapping[name] ?? name);
}
