/**
 * Reverse-mode autodiff over an ONNX graph: one graph that computes the forward pass and
 * vector-Jacobian products with standard ONNX operators, so ONNX Runtime computes exact gradients
 * in one run.
 */
import { TensorBackendError } from "../errors.ts";
import { sortNodes } from "../graph/passes/topological-sort.ts";
import { type InferredValue, inferModelValues } from "../graph/shape-inference.ts";
import { makeTensor } from "../graph/tensor.ts";
import type { GraphNode, OnnxModel, ValueInfo } from "../graph/types.ts";
import { createVjpContext } from "./context.ts";
import { createEmitter, type Emitter } from "./emitter.ts";
import { hasConstantOutputs } from "./non-differentiable.ts";
import {
  consumerMap,
  describePathThrough,
  type EdgePredicate,
  findGradientPath,
  type GradientPath,
} from "./path.ts";
import { recomputeSegments } from "./recompute.ts";
import { defaultRuleRegistry, normalizeDomain, type RuleRegistry } from "./registry.ts";
import { rewriteHint } from "./rewrites/index.ts";
import type { GradientGraphOptions, GradientRule, ZeroPadded } from "./types.ts";

/** What shape inference found about the model's values. */
type GraphInfo = ReadonlyMap<string, InferredValue>;

const FLOAT_TYPES = new Set(["float32", "float64", "float16", "bfloat16"]);
const MIN_OPSET = 13;

/** Name of the seed input added for `of` tensor `name`, and of the gradient output added for `wrt` tensor `name`. */
export function gradName(name: string): string {
  return `${name}_grad`;
}

function defaultOpset(model: OnnxModel): number {
  const opset = model.opsetImports.find((entry) => normalizeDomain(entry.domain) === "")?.version;
  if (opset === undefined || opset < MIN_OPSET) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `the model imports ONNX opset ${opset ?? "(none)"}; gradient graphs need opset ${MIN_OPSET} or later`,
      { hint: "Re-export the model with opset >= 13 (the autodiff upgrades nothing itself)." },
    );
  }
  return opset;
}

function validateOptions(options: GradientGraphOptions, known: Set<string>): void {
  const { of, wrt, seeds } = options;
  if (of.length === 0 || wrt.length === 0) {
    throw new TensorBackendError(
      "INVALID_ARGUMENT",
      "buildGradientGraph needs at least one `of` and one `wrt` tensor",
      {
        hint: "Pass e.g. { of: ['logits'], wrt: ['inputs_embeds'] }.",
      },
    );
  }
  if (seeds !== undefined && seeds !== "dynamic" && (!Number.isInteger(seeds) || seeds < 1)) {
    throw new TensorBackendError(
      "INVALID_ARGUMENT",
      `seeds must be a positive integer or "dynamic", got ${seeds}`,
      {
        hint: 'Omit seeds for one VJP, pass the number K of VJPs to compute at once, or "dynamic" to read K from the seed input.',
      },
    );
  }
  for (const name of [...of, ...wrt]) {
    if (!known.has(name)) {
      throw new TensorBackendError("INVALID_ARGUMENT", `tensor '${name}' is not a value of the graph`, {
        hint: "Use the name of a graph input, an initializer or a node output.",
      });
    }
  }
  const both = of.find((name) => wrt.includes(name));
  if (both !== undefined || new Set(of).size !== of.length || new Set(wrt).size !== wrt.length) {
    throw new TensorBackendError(
      "INVALID_ARGUMENT",
      `tensor '${both ?? "(a duplicate)"}' is listed twice in of/wrt`,
      {
        hint: "List each tensor once, and never in both `of` and `wrt`.",
      },
    );
  }
}

function checkFloat(info: GraphInfo, name: string, role: string): void {
  const dataType = info.get(name)?.type.dataType;
  if (dataType !== undefined && !FLOAT_TYPES.has(dataType)) {
    throw new TensorBackendError(
      "DTYPE_MISMATCH",
      `${role} '${name}' is ${dataType}; gradients need a float tensor`,
      {
        hint: "Differentiate with respect to float values (e.g. input embeddings, not token ids).",
        details: { tensor: name, dataType },
      },
    );
  }
}

interface Analysis {
  path: GradientPath;
  rules: Map<GraphNode, GradientRule>;
  differentiable: EdgePredicate;
}

function analyse(
  order: GraphNode[],
  options: GradientGraphOptions,
  registry: RuleRegistry,
  opset: number,
  info: GraphInfo,
): Analysis {
  const ruleOf = (node: GraphNode) => registry.get(node.opType, node.domain, opset);
  const differentiable: EdgePredicate = (node, slot) => {
    if (hasConstantOutputs(node.opType, node.domain)) return false;
    const allowed = ruleOf(node)?.differentiableInputs;
    return allowed === undefined || allowed.includes(slot);
  };
  const path = findGradientPath(order, options.of, options.wrt, differentiable);
  for (const name of options.wrt) {
    if (path.active.has(name)) continue;
    throw new TensorBackendError(
      "NOT_DIFFERENTIABLE_PATH",
      `'${name}' does not lead to ${options.of.map((of) => `'${of}'`).join(" or ")} through differentiable operators`,
      {
        hint: "Pick a wrt tensor upstream of the of tensors; paths through Shape, comparisons or indices carry no gradient.",
        details: { wrt: name, of: [...options.of] },
      },
    );
  }
  const consumers = consumerMap(order);
  const rules = new Map<GraphNode, GradientRule>();
  for (const node of path.nodes) {
    const rule = ruleOf(node);
    if (rule === undefined) {
      const where = describePathThrough(path, node, options.of, differentiable, consumers);
      const domain = normalizeDomain(node.domain);
      throw new TensorBackendError(
        "UNSUPPORTED_OPERATOR",
        `no gradient rule for ${domain === "" ? "" : `${domain}.`}${node.opType} (node '${node.name}'), which is on the gradient path ${where}`,
        {
          hint:
            rewriteHint(node.opType, domain) ??
            "Add a rule in autodiff/rules/, or differentiate with respect to a tensor after this node.",
          details: { opType: node.opType, domain, node: node.name, path: where },
        },
      );
    }
    rules.set(node, rule);
  }
  for (const node of path.nodes) {
    for (const name of [...node.inputs, ...node.outputs]) {
      if (!path.active.has(name)) continue;
      const dataType = info.get(name)?.type.dataType;
      if (dataType === undefined || FLOAT_TYPES.has(dataType)) continue;
      const where = describePathThrough(path, node, options.of, differentiable, consumers);
      throw new TensorBackendError(
        "DTYPE_MISMATCH",
        `'${name}' (${dataType}, at ${node.opType} node '${node.name}') is on the gradient path ${where}; gradients need float values`,
        {
          hint: "Integer values carry no gradient: remove the cast to an integer type between wrt and of.",
          details: { tensor: name, dataType, node: node.name },
        },
      );
    }
  }
  return { path, rules, differentiable };
}

/** Sum of a value's gradient contributions (cached, so a value's gradient is summed once). */
function accumulate(
  emitter: Emitter,
  contributions: Map<string, string[]>,
  sums: Map<string, string>,
  name: string,
) {
  const cached = sums.get(name);
  if (cached !== undefined) return cached;
  const parts = contributions.get(name) ?? [];
  if (parts.length === 0) return undefined;
  const total = parts.length === 1 ? parts[0]! : emitter.emit(`${name}/accumulate`, "Sum", parts)[0]!;
  sums.set(name, total);
  return total;
}

function allNames(model: OnnxModel): Set<string> {
  const graph = model.graph;
  const names = new Set<string>([
    ...graph.inputs.map((value) => value.name),
    ...graph.initializers.map((t) => t.name),
  ]);
  for (const node of graph.nodes) {
    names.add(node.name);
    for (const output of node.outputs) if (output !== "") names.add(output);
  }
  return names;
}

function seedInfo(info: GraphInfo, name: string, seeds: GradientGraphOptions["seeds"]): ValueInfo {
  const known = info.get(name)!.type;
  const lead = seeds === "dynamic" ? "seeds" : seeds;
  const shape =
    known.shape === undefined ? undefined : lead === undefined ? known.shape : [lead, ...known.shape];
  return { name: gradName(name), dataType: known.dataType, ...(shape !== undefined ? { shape } : {}) };
}

/**
 * Build one graph computing every original output plus vector-Jacobian products. For each `of`
 * tensor the graph gets an input `<of>_grad` (the seed: same shape, or `[K, ...shape]` with `seeds: K`);
 * for each `wrt` tensor an output `<wrt>_grad`, the sum over `of` of seed · ∂of/∂wrt. Only nodes on a
 * path from a `wrt` to an `of` get backward nodes; the emitted graph uses standard ONNX operators of
 * the model's own opset (13 or later).
 * @throws TensorBackendError UNSUPPORTED_OPERATOR (no rule for an operator on the path),
 *   NOT_DIFFERENTIABLE_PATH (a `wrt` does not lead to any `of`), DTYPE_MISMATCH (non-float value on the
 *   path), INVALID_MODEL (opset below 13, cycle), INVALID_ARGUMENT (unknown or clashing names).
 */
export function buildGradientGraph(
  model: OnnxModel,
  options: GradientGraphOptions,
  registry: RuleRegistry = defaultRuleRegistry(),
): OnnxModel {
  const opset = defaultOpset(model);
  const taken = allNames(model);
  validateOptions(options, taken);
  const order = sortNodes(model.graph.nodes);
  const info = inferModelValues(model);
  for (const name of options.wrt) checkFloat(info, name, "wrt tensor");
  for (const name of options.of) checkFloat(info, name, "of tensor");
  for (const name of [...options.of, ...options.wrt]) {
    if (info.get(name) === undefined) {
      throw new TensorBackendError("INVALID_MODEL", `the element type of '${name}' is unknown`, {
        hint: "Declare it in the graph's value_info, or run shape inference on the model first.",
      });
    }
    if (taken.has(gradName(name))) {
      throw new TensorBackendError(
        "INVALID_ARGUMENT",
        `the graph already has a value named '${gradName(name)}'`,
        {
          hint: "Rename that value before building the gradient graph.",
        },
      );
    }
  }
  const { path, rules, differentiable } = analyse(order, options, registry, opset, info);

  const emitter = createEmitter(taken);
  for (const name of [...options.of, ...options.wrt]) emitter.reserve(gradName(name));
  // K as a run-time value read from the first seed, so one graph can serve any number of seeds.
  const seedCount =
    options.seeds === undefined
      ? undefined
      : emitter.emit("seeds", "Slice", [
          emitter.emit("seeds", "Shape", [gradName(options.of[0]!)])[0]!,
          emitter.constant([0], "int64", [1]),
          emitter.constant([1], "int64", [1]),
        ])[0]!;
  const contributions = new Map<string, string[]>();
  const sums = new Map<string, string>();
  const padded = new Map<string, ZeroPadded>();
  const contribute = (name: string, grad: string) =>
    contributions.set(name, [...(contributions.get(name) ?? []), grad]);
  for (const name of options.of) if (path.active.has(name)) contribute(name, gradName(name));

  for (let index = path.nodes.length - 1; index >= 0; index--) {
    const node = path.nodes[index]!;
    const gradOutputs = node.outputs.map((output) =>
      path.active.has(output) ? accumulate(emitter, contributions, sums, output) : undefined,
    );
    if (gradOutputs.every((grad) => grad === undefined)) continue;
    const wanted = node.inputs.map(
      (name, slot) =>
        name !== "" && path.reached.has(name) && path.active.has(name) && differentiable(node, slot),
    );
    const rule = rules.get(node)!;
    const ctx = createVjpContext({
      node,
      rule,
      emitter,
      info,
      opset,
      seedCount,
      gradOutputs,
      wanted,
      padded,
    });
    const grads = rule.vjp(ctx);
    node.inputs.forEach((name, slot) => {
      const grad = grads[slot];
      if (wanted[slot] && grad !== undefined) contribute(name, grad);
    });
  }

  if (options.recompute !== undefined && options.recompute.length > 0) {
    recomputeSegments(
      {
        forward: order,
        emitter,
        gradientOf: (name) => accumulate(emitter, contributions, sums, name),
        dataTypeOf: (name) => info.get(name)?.type.dataType,
      },
      options.recompute,
    );
  }

  const outputs: ValueInfo[] = [];
  for (const name of options.wrt) {
    const total = accumulate(emitter, contributions, sums, name);
    const seedShape = seedInfo(info, name, options.seeds);
    if (total === undefined) {
      const shape = emitter.emit(`${name}/zero`, "Shape", [name])[0]!;
      const full =
        seedCount === undefined
          ? shape
          : emitter.emit(`${name}/zero`, "Concat", [seedCount, shape], { axis: 0 })[0]!;
      emitter.nodes.push(
        gradNode(name, "ConstantOfShape", [full], {
          value: { type: "tensor", value: makeTensor([0], [1], seedShape.dataType) },
        }),
      );
    } else {
      emitter.nodes.push(gradNode(name, "Identity", [total], {}));
    }
    outputs.push(seedShape);
  }

  const graph = model.graph;
  return {
    ...model,
    graph: {
      ...graph,
      nodes: options.recompute?.length
        ? sortNodes([...order, ...emitter.nodes])
        : [...order, ...emitter.nodes],
      initializers: [...graph.initializers, ...emitter.initializers],
      inputs: [...graph.inputs, ...options.of.map((name) => seedInfo(info, name, options.seeds))],
      outputs: [...graph.outputs, ...outputs],
    },
  };
}

function gradNode(
  name: string,
  opType: string,
  inputs: string[],
  attributes: GraphNode["attributes"],
): GraphNode {
  return { name: `grad/${name}/output`, opType, domain: "", inputs, outputs: [gradName(name)], attributes };
}
