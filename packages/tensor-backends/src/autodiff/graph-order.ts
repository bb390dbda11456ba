/**
 * Ordering and wiring of a graph's nodes for the autodiff: who produces a value, who reads it, and a
 * topological order. Subgraphs (If/Loop/Scan bodies) read outer values without listing them as inputs,
 * so those reads count as dependencies too.
 */
import { TensorBackendError } from "../errors.ts";
import type { Graph, GraphNode } from "../graph/types.ts";

/** Values a node reads: its listed inputs plus outer-scope values its subgraphs read. */
export function nodeReads(node: GraphNode): string[] {
  const reads = node.inputs.filter((name) => name !== "");
  for (const attribute of Object.values(node.attributes)) {
    if (attribute.type === "graph") reads.push(...subgraphReads(attribute.value));
    if (attribute.type === "graphs") for (const graph of attribute.value) reads.push(...subgraphReads(graph));
  }
  return reads;
}

function subgraphReads(graph: Graph): string[] {
  const defined = new Set<string>([
    ...graph.inputs.map((value) => value.name),
    ...graph.initializers.map((tensor) => tensor.name),
  ]);
  for (const node of graph.nodes) for (const output of node.outputs) defined.add(output);
  const reads: string[] = [];
  for (const node of graph.nodes)
    for (const name of nodeReads(node)) if (!defined.has(name)) reads.push(name);
  return reads;
}

/** Map from value name to the node producing it. */
export function producerMap(nodes: readonly GraphNode[]): Map<string, GraphNode> {
  const producers = new Map<string, GraphNode>();
  for (const node of nodes) for (const output of node.outputs) if (output !== "") producers.set(output, node);
  return producers;
}

/** Map from value name to the nodes reading it (listed inputs only, in slot order, with the slot). */
export function consumerMap(nodes: readonly GraphNode[]): Map<string, { node: GraphNode; slot: number }[]> {
  const consumers = new Map<string, { node: GraphNode; slot: number }[]>();
  for (const node of nodes) {
    node.inputs.forEach((name, slot) => {
      if (name === "") return;
      const list = consumers.get(name) ?? [];
      list.push({ node, slot });
      consumers.set(name, list);
    });
  }
  return consumers;
}

/**
 * Nodes in an order where every producer comes before its readers (Kahn's algorithm, stable with respect
 * to the given order).
 * @throws TensorBackendError INVALID_MODEL when the graph has a cycle.
 */
export function topologicalOrder(graph: Graph): GraphNode[] {
  const producers = producerMap(graph.nodes);
  const indexOf = new Map(graph.nodes.map((node, index) => [node, index]));
  const pending = new Map<GraphNode, number>();
  const readers = new Map<GraphNode, GraphNode[]>();
  for (const node of graph.nodes) {
    const parents = new Set<GraphNode>();
    for (const name of nodeReads(node)) {
      const parent = producers.get(name);
      if (parent !== undefined && parent !== node) parents.add(parent);
    }
    pending.set(node, parents.size);
    for (const parent of parents) readers.set(parent, [...(readers.get(parent) ?? []), node]);
  }
  const ready = graph.nodes.filter((node) => pending.get(node) === 0);
  const order: GraphNode[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    const released: GraphNode[] = [];
    for (const reader of readers.get(node) ?? []) {
      const left = pending.get(reader)! - 1;
      pending.set(reader, left);
      if (left === 0) released.push(reader);
    }
    if (released.length > 0) {
      ready.push(...released);
      ready.sort((a, b) => indexOf.get(a)! - indexOf.get(b)!);
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.find((node) => pending.get(node)! > 0);
    throw new TensorBackendError(
      "INVALID_MODEL",
      `graph '${graph.name}' has a cycle through node '${stuck?.name}'`,
      {
        hint: "An ONNX graph must be acyclic; check how the model was edited.",
      },
    );
  }
  return order;
}
