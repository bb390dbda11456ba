/**
 * Walking subgraphs: the graphs held in node attributes (If branches, Loop and Scan bodies), and the
 * outer-scope values they read.
 */
import type { Graph, GraphNode } from "./types.ts";

/** The subgraphs held directly in a node's attributes. */
export function subgraphsOf(node: GraphNode): Graph[] {
  const graphs: Graph[] = [];
  for (const attribute of Object.values(node.attributes)) {
    if (attribute.type === "graph") graphs.push(attribute.value);
    else if (attribute.type === "graphs") graphs.push(...attribute.value);
  }
  return graphs;
}

/** Names a graph reads that it does not define itself (inputs, initializers, node outputs): its outer-scope reads. */
export function outerScopeReads(graph: Graph): Set<string> {
  const defined = new Set<string>([
    ...graph.inputs.map((input) => input.name),
    ...graph.initializers.map((tensor) => tensor.name),
    ...graph.nodes.flatMap((node) => node.outputs),
  ]);
  const reads = new Set<string>();
  const note = (name: string) => {
    if (name !== "" && !defined.has(name)) reads.add(name);
  };
  for (const node of graph.nodes) {
    node.inputs.forEach(note);
    for (const subgraph of subgraphsOf(node)) outerScopeReads(subgraph).forEach(note);
  }
  for (const output of graph.outputs) note(output.name);
  return reads;
}

/** Every value a node reads: its inputs plus what its subgraphs read from the enclosing scope. */
export function nodeReads(node: GraphNode): string[] {
  const reads = node.inputs.filter((name) => name !== "");
  for (const subgraph of subgraphsOf(node)) reads.push(...outerScopeReads(subgraph));
  return reads;
}
