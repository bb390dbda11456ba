/**
 * Replace `If` nodes whose condition is a constant by the branch they would take. Exporters emit such
 * Ifs (a traced `if past_key_values is None`, say); gradients and shape inference are simpler without.
 * The branch's values are renamed to stay unique in the outer graph and its outputs take the If's names.
 */
import { constantNodeTensor } from "../shape-inference/constants.ts";
import type { Graph, GraphNode, TensorConstant } from "../types.ts";
import { allValueNames, renameNode } from "./rename-values.ts";

function constantsOf(graph: Graph): Map<string, TensorConstant> {
  const constants = new Map<string, TensorConstant>();
  for (const tensor of graph.initializers) constants.set(tensor.name, tensor);
  for (const node of graph.nodes) {
    if (node.opType !== "Constant" || (node.domain !== "" && node.domain !== "ai.onnx")) continue;
    const tensor = constantNodeTensor(node);
    if (tensor !== undefined && node.outputs[0] !== undefined) constants.set(node.outputs[0], tensor);
  }
  return constants;
}

function conditionOf(node: GraphNode, constants: Map<string, TensorConstant>): boolean | undefined {
  const tensor = constants.get(node.inputs[0] ?? "");
  const data = tensor?.data;
  if (data === undefined || data.length !== 1 || Array.isArray(data)) return undefined;
  return Boolean(data[0]);
}

function freshNamer(taken: Set<string>) {
  return (base: string) => {
    let name = base;
    for (let counter = 1; taken.has(name); counter++) name = `${base}_${counter}`;
    taken.add(name);
    return name;
  };
}

/** The nodes and initializers that replace `node`, the If, with `branch` spliced in. */
function splice(node: GraphNode, branch: Graph, fresh: (base: string) => string) {
  const rename = new Map<string, string>();
  const internal = new Set([
    ...branch.initializers.map((t) => t.name),
    ...branch.nodes.flatMap((n) => n.outputs),
  ]);
  const identities: GraphNode[] = [];
  branch.outputs.forEach((output, index) => {
    const target = node.outputs[index];
    if (target === undefined || target === "") return;
    if (internal.has(output.name) && !rename.has(output.name)) rename.set(output.name, target);
    else
      identities.push({
        name: fresh(`${node.name}/Identity`),
        opType: "Identity",
        domain: "",
        inputs: [output.name],
        outputs: [target],
        attributes: {},
      });
  });
  for (const name of internal)
    if (name !== "" && !rename.has(name)) rename.set(name, fresh(`${node.name}/${name}`));
  const apply = (name: string) => rename.get(name) ?? name;
  const nodes = [
    ...branch.nodes.map((inner) => ({
      ...renameNode(inner, apply),
      name: fresh(`${node.name}/${inner.name || inner.opType}`),
    })),
    ...identities.map((identity) => ({ ...identity, inputs: identity.inputs.map(apply) })),
  ];
  const initializers = branch.initializers.map((tensor) => ({ ...tensor, name: apply(tensor.name) }));
  return { nodes, initializers };
}

/**
 * A copy of `graph` where every If with a constant condition (an initializer or Constant output) is
 * replaced by the taken branch's nodes. Repeats until no such If is left, so nested ones go too.
 */
export function inlineConstantIf(graph: Graph): Graph {
  let current = graph;
  for (;;) {
    const constants = constantsOf(current);
    const index = current.nodes.findIndex(
      (node) =>
        node.opType === "If" &&
        (node.domain === "" || node.domain === "ai.onnx") &&
        conditionOf(node, constants) !== undefined,
    );
    if (index < 0) return current;
    const node = current.nodes[index]!;
    const branch = node.attributes[conditionOf(node, constants) ? "then_branch" : "else_branch"];
    if (branch?.type !== "graph") return current;
    const taken = allValueNames(current);
    for (const other of current.nodes) taken.add(other.name);
    const { nodes, initializers } = splice(node, branch.value, freshNamer(taken));
    current = {
      ...current,
      nodes: [...current.nodes.slice(0, index), ...nodes, ...current.nodes.slice(index + 1)],
      initializers: [...current.initializers, ...initializers],
    };
  }
}
