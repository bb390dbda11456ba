/**
 * Check that every operator domain used by a model is imported, and report the ones that are not.
 */
import { subgraphsOf } from "../subgraphs.ts";
import type { GraphNode, OnnxModel } from "../types.ts";

/** One domain used by nodes but not imported. */
export interface UnknownDomain {
  domain: string;
  /** How many nodes use it. */
  nodeCount: number;
  /** Op types seen in that domain, sorted. */
  opTypes: string[];
}

/** Result of {@link checkOpsets}. */
export interface OpsetReport {
  /** True when every used domain is imported. */
  ok: boolean;
  /** Imported version per domain ("" is the standard domain). */
  imported: Record<string, number>;
  /** Domains used by nodes but not imported. */
  unknownDomains: UnknownDomain[];
}

const canonical = (domain: string) => (domain === "ai.onnx" ? "" : domain);

/** Every node's domain must be imported by the model (model-local functions count with their own imports). */
export function checkOpsets(model: OnnxModel): OpsetReport {
  const imported: Record<string, number> = {};
  for (const opset of model.opsetImports) imported[canonical(opset.domain)] = opset.version;
  const unknown = new Map<string, { nodeCount: number; opTypes: Set<string> }>();
  const visitNodes = (nodes: readonly GraphNode[], scope: Record<string, number>) => {
    for (const node of nodes) {
      const domain = canonical(node.domain);
      if (scope[domain] === undefined) {
        const entry = unknown.get(domain) ?? { nodeCount: 0, opTypes: new Set<string>() };
        entry.nodeCount++;
        entry.opTypes.add(node.opType);
        unknown.set(domain, entry);
      }
      for (const subgraph of subgraphsOf(node)) visitNodes(subgraph.nodes, scope);
    }
  };
  visitNodes(model.graph.nodes, imported);
  for (const fn of model.functions) {
    const scope = { ...imported };
    for (const opset of fn.opsetImports) scope[canonical(opset.domain)] = opset.version;
    visitNodes(fn.nodes, scope);
  }
  const unknownDomains = [...unknown].map(([domain, entry]) => ({
    domain,
    nodeCount: entry.nodeCount,
    opTypes: [...entry.opTypes].sort(),
  }));
  return { ok: unknownDomains.length === 0, imported, unknownDomains };
}
