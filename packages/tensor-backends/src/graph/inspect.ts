/**
 * A summary of a model for the CLI's `inspect`: interface, operator counts, opsets, weight sizes, and
 * which operators between two sets of values have no gradient rule.
 */
import { TensorBackendError } from "../errors.ts";
import { bytesPerElement, elementCount } from "./dtypes.ts";
import { nodeReads, subgraphsOf } from "./subgraphs.ts";
import type { Graph, GraphNode, OnnxModel, TensorConstant, ValueInfo } from "./types.ts";

/** Options of {@link inspectModel}. */
export interface InspectOptions {
  /** Restrict the rule check to nodes on a path from any `from` value to any `to` value. */
  path?: { from: string[]; to: string[] };
  /** Whether an operator has a (gradient) rule; with it, `opsOnPathWithoutRule` lists those that do not. */
  hasRule?: (opType: string, domain: string) => boolean;
}

/** One operator type and how many nodes use it. */
export interface OpCount {
  opType: string;
  domain: string;
  count: number;
}

/** Result of {@link inspectModel}. */
export interface ModelSummary {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Node count per operator, keyed `opType` (standard domain) or `domain:opType`; subgraphs included. */
  opCounts: Record<string, number>;
  /** Imported opset version per domain. */
  opsets: Record<string, number>;
  initializers: { count: number; bytes: number };
  /** Nodes on the path (all main-graph nodes when no path is given). */
  nodesOnPath: number;
  /** Operators on the path that `hasRule` rejects (empty without `hasRule`), most frequent first. */
  opsOnPathWithoutRule: OpCount[];
}

const opKey = (node: GraphNode) =>
  node.domain === "" || node.domain === "ai.onnx" ? node.opType : `${node.domain}:${node.opType}`;

function tensorBytes(tensor: TensorConstant): number {
  if (tensor.data !== undefined && !Array.isArray(tensor.data)) return tensor.data.byteLength;
  if (tensor.external !== undefined) return tensor.external.length;
  return elementCount(tensor.dims) * bytesPerElement(tensor.dataType);
}

function countOps(graph: Graph, counts: Record<string, number>): void {
  for (const node of graph.nodes) {
    counts[opKey(node)] = (counts[opKey(node)] ?? 0) + 1;
    for (const subgraph of subgraphsOf(node)) countOps(subgraph, counts);
  }
}

/** Main-graph nodes that lie on some path from a `from` value to a `to` value. */
export function nodesOnPath(graph: Graph, from: readonly string[], to: readonly string[]): GraphNode[] {
  const known = new Set([
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.map((t) => t.name),
    ...graph.nodes.flatMap((n) => n.outputs),
  ]);
  for (const name of [...from, ...to]) {
    if (!known.has(name)) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `path end '${name}' is not a value of graph '${graph.name}'`,
        {
          hint: "Use graph input, initializer or node output names.",
        },
      );
    }
  }
  const reads = graph.nodes.map(nodeReads);
  // Forward: values reachable from `from`, to a fixpoint (node order may be unsorted).
  const forward = new Set(from);
  const reached = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    graph.nodes.forEach((node, index) => {
      if (reached.has(index) || !reads[index]!.some((name) => forward.has(name))) return;
      reached.add(index);
      changed = true;
      for (const output of node.outputs) forward.add(output);
    });
  }
  // Backward: nodes whose outputs lead to `to`.
  const backward = new Set(to);
  const onPath = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    graph.nodes.forEach((node, index) => {
      if (onPath.has(index) || !reached.has(index) || !node.outputs.some((name) => backward.has(name)))
        return;
      onPath.add(index);
      changed = true;
      for (const name of reads[index]!) backward.add(name);
    });
  }
  return graph.nodes.filter((_, index) => onPath.has(index));
}

/** Summarize `model` (see {@link ModelSummary}). */
export function inspectModel(model: OnnxModel, options: InspectOptions = {}): ModelSummary {
  const graph = model.graph;
  const opCounts: Record<string, number> = {};
  countOps(graph, opCounts);
  const opsets = Object.fromEntries(model.opsetImports.map((opset) => [opset.domain, opset.version]));
  const pathNodes =
    options.path === undefined ? graph.nodes : nodesOnPath(graph, options.path.from, options.path.to);
  const missing = new Map<string, OpCount>();
  if (options.hasRule !== undefined) {
    for (const node of pathNodes) {
      const domain = node.domain === "ai.onnx" ? "" : node.domain;
      if (options.hasRule(node.opType, domain)) continue;
      const entry = missing.get(opKey(node)) ?? { opType: node.opType, domain, count: 0 };
      entry.count++;
      missing.set(opKey(node), entry);
    }
  }
  return {
    inputs: graph.inputs.filter((input) => !graph.initializers.some((t) => t.name === input.name)),
    outputs: graph.outputs,
    opCounts,
    opsets,
    initializers: {
      count: graph.initializers.length,
      bytes: graph.initializers.reduce((total, tensor) => total + tensorBytes(tensor), 0),
    },
    nodesOnPath: pathNodes.length,
    opsOnPathWithoutRule: [...missing.values()].sort(
      (a, b) => b.count - a.count || a.opType.localeCompare(b.opType),
    ),
  };
}
