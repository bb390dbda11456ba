/**
 * Order nodes so every value is produced before it is read. Stable: nodes already in a valid order
 * keep it, so sorting a sorted graph is the identity.
 */
import { TensorBackendError } from "../../errors.ts";
import { nodeReads } from "../subgraphs.ts";
import type { Graph, GraphNode } from "../types.ts";

/** Nodes of `graph` in dependency order (values from outside the graph count as available). */
export function sortNodes(nodes: readonly GraphNode[]): GraphNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.outputs) if (output !== "") producer.set(output, index);
  });
  const reads = nodes.map((node) => nodeReads(node));
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 emitted
  const order: GraphNode[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] === 2) continue;
    // Iterative depth-first search: deep chains (thousands of layers) would overflow recursion.
    const stack: { index: number; next: number }[] = [{ index: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const inputs = reads[frame.index]!;
      if (frame.next < inputs.length) {
        const dependency = producer.get(inputs[frame.next++]!);
        if (dependency === undefined || dependency === frame.index || state[dependency] === 2) continue;
        if (state[dependency] === 1) {
          const node = nodes[dependency]!;
          throw new TensorBackendError(
            "INVALID_MODEL",
            `the graph has a cycle through node '${node.name}' (${node.opType})`,
            {
              hint: "ONNX graphs must be acyclic; check the names of that node's inputs and outputs.",
              details: { node: node.name },
            },
          );
        }
        state[dependency] = 1;
        stack.push({ index: dependency, next: 0 });
        continue;
      }
      state[frame.index] = 2;
      order.push(nodes[frame.index]!);
      stack.pop();
    }
  }
  return order;
}

/** A copy of `graph` with its nodes in dependency order. Subgraphs are sorted too. */
export function topologicalSort(graph: Graph): Graph {
  const nodes = sortNodes(graph.nodes).map((node) => {
    const hasSubgraph = Object.values(node.attributes).some((a) => a.type === "graph" || a.type === "graphs");
    if (!hasSubgraph) return node;
    const attributes = Object.fromEntries(
      Object.entries(node.attributes).map(([name, attribute]) => {
        if (attribute.type === "graph")
          return [name, { type: "graph", value: topologicalSort(attribute.value) }];
        if (attribute.type === "graphs")
          return [name, { type: "graphs", value: attribute.value.map(topologicalSort) }];
        return [name, attribute];
      }),
    );
    return { ...node, attributes };
  });
  return { ...graph, nodes };
}
