/**
 * Light symbolic shape and dtype inference over a graph. Symbolic dims ("batch", "seq") flow through
 * broadcasting, MatMul, Reshape (incl. `Shape → Gather → Concat → Reshape` chains), Transpose and the rest
 * of the rules in `shape-inference/rules.ts`. Operators without a rule yield unknown outputs: inference
 * never throws on a valid graph.
 */

import { sortNodes } from "./passes/topological-sort.ts";
import { constantValue } from "./shape-inference/constants.ts";
import { type InferredValue, makeRuleContext } from "./shape-inference/context.ts";
import { shapeRuleFor } from "./shape-inference/rules.ts";
import type { Graph, GraphNode, OnnxModel, ValueType } from "./types.ts";

export { type InferredValue, numericContents } from "./shape-inference/context.ts";

/** Options of {@link inferGraphValues}. */
export interface InferenceOptions {
  /** Opset version per domain (default: 21 for ""), for operators whose inputs moved between versions. */
  opsets?: Record<string, number>;
  /** Values visible from an enclosing graph (for If/Loop bodies). */
  outerScope?: ReadonlyMap<string, InferredValue>;
}

function declared(info: ValueType): InferredValue | undefined {
  if (info.untyped === true || info.container !== undefined) return undefined;
  return {
    type:
      info.shape === undefined
        ? { dataType: info.dataType }
        : { dataType: info.dataType, shape: [...info.shape] },
  };
}

/** Prefer what inference found, but let a declared shape fill dims inference left unknown. */
function merge(
  inferred: InferredValue | undefined,
  known: InferredValue | undefined,
): InferredValue | undefined {
  if (inferred === undefined) return known;
  if (known === undefined) return inferred;
  const a = inferred.type.shape;
  const b = known.type.shape;
  if (a === undefined && b !== undefined) return { ...inferred, type: { ...inferred.type, shape: [...b] } };
  if (a !== undefined && b !== undefined && a.length === b.length) {
    const shape = a.map((dim, index) => dim ?? b[index] ?? null);
    return { ...inferred, type: { ...inferred.type, shape } };
  }
  return inferred;
}

/** If: the branches' outputs, when both agree on the element type. */
function inferIf(node: GraphNode, values: Map<string, InferredValue>, options: InferenceOptions) {
  const thenBranch = node.attributes["then_branch"];
  const elseBranch = node.attributes["else_branch"];
  if (thenBranch?.type !== "graph" || elseBranch?.type !== "graph") return [];
  const nested = { ...options, outerScope: values };
  const thenValues = inferGraphValues(thenBranch.value, nested);
  const elseValues = inferGraphValues(elseBranch.value, nested);
  return node.outputs.map((_, index) => {
    const a = thenValues.get(thenBranch.value.outputs[index]?.name ?? "");
    const b = elseValues.get(elseBranch.value.outputs[index]?.name ?? "");
    if (a === undefined || b === undefined || a.type.dataType !== b.type.dataType) return undefined;
    const sa = a.type.shape;
    const sb = b.type.shape;
    if (sa === undefined || sb === undefined || sa.length !== sb.length)
      return { type: { dataType: a.type.dataType } };
    return { type: { dataType: a.type.dataType, shape: sa.map((dim, i) => (dim === sb[i] ? dim : null)) } };
  });
}

/**
 * Inferred type, shape and (for small integer tensors) contents of every value of `graph` that could be
 * inferred: inputs, initializers, node outputs. Declared `valueInfo` fills what inference cannot.
 */
export function inferGraphValues(graph: Graph, options: InferenceOptions = {}): Map<string, InferredValue> {
  const values = new Map<string, InferredValue>(options.outerScope ?? []);
  const opsets: Record<string, number> = { "": 21, ...options.opsets };
  const hints = new Map<string, InferredValue>();
  for (const info of [...graph.valueInfo, ...graph.outputs]) {
    const value = declared(info);
    if (value !== undefined) hints.set(info.name, value);
  }
  for (const input of graph.inputs) {
    const value = declared(input);
    if (value !== undefined) values.set(input.name, value);
  }
  for (const tensor of graph.initializers) values.set(tensor.name, constantValue(tensor));
  for (const node of sortNodes(graph.nodes)) {
    const domain = node.domain === "ai.onnx" ? "" : node.domain;
    let results: (InferredValue | undefined)[] = [];
    try {
      if (node.opType === "If" && domain === "") {
        results = inferIf(node, values, options);
      } else {
        const rule = shapeRuleFor(node.opType, domain);
        if (rule !== undefined) {
          results = rule(makeRuleContext(node, opsets[domain] ?? 0, (name) => values.get(name)));
        }
      }
    } catch {
      // A rule meeting an input it did not expect (a malformed attribute, say) leaves the outputs unknown.
      results = [];
    }
    node.outputs.forEach((name, index) => {
      if (name === "") return;
      const value = merge(results[index], hints.get(name));
      if (value !== undefined) values.set(name, value);
    });
  }
  return values;
}

/** Type and shape of every value of `graph` whose element type could be inferred. */
export function inferGraphTypes(graph: Graph, options: InferenceOptions = {}): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  for (const [name, value] of inferGraphValues(graph, options)) types.set(name, value.type);
  return types;
}

function modelOpsets(model: OnnxModel): Record<string, number> {
  return Object.fromEntries(
    model.opsetImports.map((opset) => [opset.domain === "ai.onnx" ? "" : opset.domain, opset.version]),
  );
}

/** {@link inferGraphValues} for a model's main graph, with the model's opset versions. */
export function inferModelValues(model: OnnxModel): Map<string, InferredValue> {
  return inferGraphValues(model.graph, { opsets: modelOpsets(model) });
}

/** {@link inferGraphTypes} for a model's main graph, with the model's opset versions. */
export function inferModelTypes(model: OnnxModel): Map<string, ValueType> {
  return inferGraphTypes(model.graph, { opsets: modelOpsets(model) });
}
