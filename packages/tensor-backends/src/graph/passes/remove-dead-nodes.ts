/**
 * Drop the nodes, initializers and value infos the graph outputs do not need. Graph inputs stay: they
 * are the model's interface.
 */
import { nodeReads } from "../subgraphs.ts";
import type { Graph } from "../types.ts";

/** A copy of `graph` keeping only what its outputs (transitively) read. */
export function removeDeadNodes(graph: Graph): Graph {
  const producer = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const output of node.outputs) if (output !== "") producer.set(output, index);
  });
  const needed = new Set<string>();
  const live = new Set<number>();
  const pending = graph.outputs.map((output) => output.name);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const index = producer.get(name);
    if (index === undefined || live.has(index)) continue;
    live.add(index);
    pending.push(...nodeReads(graph.nodes[index]!));
  }
  const nodes = graph.nodes.filter((_, index) => live.has(index));
  const produced = new Set(nodes.flatMap((node) => node.outputs));
  return {
    ...graph,
    nodes,
    initializers: graph.initializers.filter((tensor) => needed.has(tensor.name)),
    valueInfo: graph.valueInfo.filter((info) => produced.has(info.name)),
  };
}
