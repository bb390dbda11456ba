/**
 * The rewrite pass: every node with a registered contrib rewrite is replaced, in place, by the
 * standard nodes its rewrite emits. Nodes whose rewrite declines (e.g. quantized weights that are not
 * constants) stay as they are, and the autodiff reports them if they are on a gradient path.
 */
import { TensorBackendError } from "../../errors.ts";
import type { AttributeInput } from "../../graph/attributes.ts";
import { sortNodes } from "../../graph/passes/topological-sort.ts";
import { type InferredValue, inferModelValues, numericContents } from "../../graph/shape-inference.ts";
import type { GraphNode, OnnxModel, TensorConstant } from "../../graph/types.ts";
import { attributeReader } from "../context.ts";
import { createEmitter, type Emitter } from "../emitter.ts";
import { normalizeDomain } from "../registry.ts";
import type { ContribRewrite, RewriteContext } from "./types.ts";

function rewriteContext(
  node: GraphNode,
  emitter: Emitter,
  info: ReadonlyMap<string, InferredValue>,
  opset: number,
  initializers: Map<string, TensorConstant>,
): RewriteContext {
  const emitted = new Set<string>();
  const emit = (
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeInput | undefined> = {},
    outputs: number | string[] = 1,
  ): string[] => {
    const names = emitter.emit(
      node.name || node.opType,
      opType,
      inputs,
      attributes,
      typeof outputs === "number" ? outputs : outputs.length,
    );
    for (const name of names) emitted.add(name);
    if (typeof outputs === "number") return names;
    // Rename the emitted outputs to the requested ones (the original node's outputs).
    const last = emitter.nodes[emitter.nodes.length - 1]!;
    last.outputs = [...outputs];
    for (const name of outputs) emitted.add(name);
    return last.outputs;
  };
  const ctx: RewriteContext = {
    node,
    attr: attributeReader(node),
    opset,
    info: (name) => info.get(name)?.type,
    emit,
    op: (opType, inputs, attributes, output) =>
      emit(opType, inputs, attributes, output === undefined ? 1 : [output])[0]!,
    constant: (values, dataType, dims) => emitter.constant(values, dataType, dims ?? [values.length]),
    int64s: (values) => emitter.constant(values, "int64", [values.length]),
    scalarLike: (value, like) => emitter.constant([value], ctx.dataTypeOf(like), []),
    dataTypeOf(name) {
      // Values a rewrite emits carry the contrib node's (float) element type.
      const dataType =
        info.get(name)?.type.dataType ??
        (emitted.has(name) ? info.get(node.inputs[0] ?? "")?.type.dataType : undefined);
      if (dataType === undefined) {
        throw new TensorBackendError(
          "INVALID_MODEL",
          `the element type of '${name}' (read by ${node.opType} node '${node.name}') is unknown`,
          {
            hint: "Declare it in the graph's value_info before rewriting contrib operators.",
          },
        );
      }
      return dataType;
    },
    rankOf: (name) => info.get(name)?.type.shape?.length,
    constInts: (name) => numericContents(info.get(name)),
    initializer: (name) => initializers.get(name),
    addInitializer(base, tensor) {
      const name = emitter.fresh(`${node.name || node.opType}/${base}`);
      emitter.initializers.push({ ...tensor, name });
      return name;
    },
  };
  return ctx;
}

/**
 * Replace every node that has one of `rewrites` (matched by opType and domain) with standard operators.
 * Returns a new model; the input model is not changed.
 */
export function applyRewrites(model: OnnxModel, rewrites: readonly ContribRewrite[]): OnnxModel {
  const graph = model.graph;
  const find = (node: GraphNode) =>
    rewrites.find(
      (rewrite) => rewrite.opType === node.opType && rewrite.domains.includes(normalizeDomain(node.domain)),
    );
  if (!graph.nodes.some((node) => find(node) !== undefined)) return model;
  const opset = model.opsetImports.find((entry) => normalizeDomain(entry.domain) === "")?.version ?? 13;
  const order = sortNodes(graph.nodes);
  const info = inferModelValues(model);
  const taken = new Set<string>([
    ...graph.inputs.map((value) => value.name),
    ...graph.initializers.map((t) => t.name),
  ]);
  for (const node of graph.nodes) {
    taken.add(node.name);
    for (const output of node.outputs) taken.add(output);
  }
  const emitter = createEmitter(taken);
  const initializers = new Map(graph.initializers.map((tensor) => [tensor.name, tensor]));
  const nodes: GraphNode[] = [];
  for (const node of order) {
    const rewrite = find(node);
    const before = emitter.nodes.length;
    if (rewrite?.rewrite(rewriteContext(node, emitter, info, opset, initializers))) {
      nodes.push(...emitter.nodes.slice(before));
    } else {
      emitter.nodes.length = before;
      nodes.push(node);
    }
  }
  return {
    ...model,
    graph: { ...graph, nodes, initializers: [...graph.initializers, ...emitter.initializers] },
  };
}
