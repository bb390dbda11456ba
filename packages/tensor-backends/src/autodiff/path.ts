/**
 * Which part of the graph the backward pass needs: values reachable from a `wrt` through
 * differentiable edges, and of those the ones that lead on to an `of`. Only nodes between the two get
 * backward nodes, so nobody pays for gradients nobody asked for.
 */
import type { GraphNode } from "../graph/types.ts";

/** Decides whether gradient flows from input `slot` of `node` to its outputs. */
export type EdgePredicate = (node: GraphNode, slot: number) => boolean;

/** The differentiable sub-graph between `wrt` and `of`. */
export interface GradientPath {
  /** Values reachable from a `wrt` through differentiable edges (including the `wrt` values). */
  reached: Set<string>;
  /** Reached values that also lead, through differentiable edges, to an `of`. */
  active: Set<string>;
  /** Nodes with an active output and a reached differentiable input, in topological order. */
  nodes: GraphNode[];
  /** For each reached value (not a `wrt`): the node and input it was first reached through. */
  parents: Map<string, { node: GraphNode; input: string }>;
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

/** Find the differentiable sub-graph; `order` must be topological. */
export function findGradientPath(
  order: readonly GraphNode[],
  of: readonly string[],
  wrt: readonly string[],
  differentiable: EdgePredicate,
): GradientPath {
  const reached = new Set(wrt);
  const parents = new Map<string, { node: GraphNode; input: string }>();
  for (const node of order) {
    const slot = node.inputs.findIndex(
      (name, index) => name !== "" && reached.has(name) && differentiable(node, index),
    );
    if (slot < 0) continue;
    for (const output of node.outputs) {
      if (output === "" || reached.has(output)) continue;
      reached.add(output);
      parents.set(output, { node, input: node.inputs[slot]! });
    }
  }
  const active = new Set(of.filter((name) => reached.has(name)));
  const nodes: GraphNode[] = [];
  for (let index = order.length - 1; index >= 0; index--) {
    const node = order[index]!;
    if (!node.outputs.some((output) => active.has(output))) continue;
    let onPath = false;
    node.inputs.forEach((name, slot) => {
      if (name === "" || !reached.has(name) || !differentiable(node, slot)) return;
      active.add(name);
      onPath = true;
    });
    if (onPath) nodes.push(node);
  }
  nodes.reverse();
  return { reached, active, nodes, parents };
}

function label(node: GraphNode): string {
  return `${node.opType}(${node.name || "unnamed"})`;
}

/**
 * A human-readable path `wrt → … → node → … → of` through `node`, for error messages.
 */
export function describePathThrough(
  path: GradientPath,
  node: GraphNode,
  of: readonly string[],
  differentiable: EdgePredicate,
  consumers: Map<string, { node: GraphNode; slot: number }[]>,
): string {
  const before: string[] = [];
  let value = node.inputs.find(
    (name, slot) => name !== "" && path.reached.has(name) && differentiable(node, slot),
  );
  const seen = new Set<string>();
  while (value !== undefined && !seen.has(value)) {
    seen.add(value);
    before.unshift(value);
    const parent = path.parents.get(value);
    if (parent === undefined) break;
    before.unshift(label(parent.node));
    value = parent.input;
  }
  const after: string[] = [];
  let current = node.outputs.find((output) => path.active.has(output));
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    after.push(current);
    if (of.includes(current)) break;
    const next = (consumers.get(current) ?? []).find(
      ({ node: reader, slot }) =>
        differentiable(reader, slot) && reader.outputs.some((output) => path.active.has(output)),
    );
    if (next === undefined) break;
    after.push(label(next.node));
    current = next.node.outputs.find((output) => path.active.has(output));
  }
  return [...before, label(node), ...after].join(" → ");
}
