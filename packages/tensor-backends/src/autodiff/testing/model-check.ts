/**
 * Finite-difference check of a whole model's gradient graph, with respect to graph inputs or internal
 * values. An internal value v is perturbed through a model whose readers of v read v + δ instead,
 * with δ a new input (zeros): ∂objective/∂δ at δ = 0 is the gradient with respect to v.
 */
import type { GraphNode, OnnxModel } from "../../graph/types.ts";
import { buildGradientGraph, gradName } from "../build-gradient-graph.ts";
import type { RecomputeSegment } from "../types.ts";
import { maxRelativeError, numericalJacobian, vjpFromJacobian } from "./finite-differences.ts";
import type { HostTensor, SessionFactory } from "./ort-session.ts";
import { seededRandom, uniformValues } from "./random.ts";

/** What to check. */
export interface ModelCheck {
  of: string[];
  wrt: string[];
  feeds: Record<string, HostTensor>;
  /** Seed values per `of` (default: random uniform in [-1, 1]). */
  seedValues?: Record<string, number[]>;
  /** Float element type of the model's inputs and outputs (default float64). */
  dataType?: "float64" | "float32";
  /** Finite-difference step (default 1e-5 for float64, 1e-2 for float32). */
  step?: number;
  randomSeed?: number;
  /** Segments the gradient graph recomputes (activation checkpointing); default none. */
  recompute?: RecomputeSegment[];
}

/** Result: the error per wrt, and the gradients the graph computed. */
export interface ModelCheckResult {
  errors: Record<string, number>;
  maxError: number;
  gradients: Record<string, HostTensor>;
}

function withOutputs(model: OnnxModel, names: string[], dataType: HostTensor["dataType"]): OnnxModel {
  const known = new Set(model.graph.outputs.map((output) => output.name));
  const extra = names.filter((name) => !known.has(name)).map((name) => ({ name, dataType }));
  return { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } };
}

/** The model with every reader of `name` reading `name + <name>__delta` (a new input). */
export function perturbableAt(model: OnnxModel, name: string, dataType: HostTensor["dataType"]): OnnxModel {
  const delta = `${name}__delta`;
  const shifted = `${name}__shifted`;
  const rewire = (node: GraphNode): GraphNode => ({
    ...node,
    inputs: node.inputs.map((input) => (input === name ? shifted : input)),
  });
  const add: GraphNode = {
    name: `${name}__perturb`,
    opType: "Add",
    domain: "",
    inputs: [name, delta],
    outputs: [shifted],
    attributes: {},
  };
  const graph = model.graph;
  return {
    ...model,
    graph: {
      ...graph,
      nodes: [...graph.nodes.map(rewire), add],
      inputs: [...graph.inputs, { name: delta, dataType }],
      outputs: graph.outputs.map((output) => (output.name === name ? { ...output, name: shifted } : output)),
    },
  };
}

function asFloat64(data: HostTensor["data"]): Float64Array {
  return Float64Array.from(data as ArrayLike<number>, Number);
}

/** Build the gradient graph, run it, and compare each wrt gradient with central differences. */
export async function checkModelGradient(
  model: OnnxModel,
  check: ModelCheck,
  sessions: SessionFactory,
): Promise<ModelCheckResult> {
  const dataType = check.dataType ?? "float64";
  const step = check.step ?? (dataType === "float64" ? 1e-5 : 1e-2);
  const typed = (values: ArrayLike<number>) =>
    dataType === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  const probe = await sessions(withOutputs(model, [...check.of, ...check.wrt], dataType));
  const reference = await probe(check.feeds);
  const random = seededRandom(check.randomSeed ?? 3);
  const seeds: Record<string, HostTensor> = {};
  const seedFlat: number[] = [];
  for (const name of check.of) {
    const dims = reference[name]!.dims;
    const count = dims.reduce((total, dim) => total * dim, 1);
    const values = check.seedValues?.[name] ?? uniformValues(random, count);
    seeds[gradName(name)] = { dataType, dims, data: typed(values) };
    seedFlat.push(...values);
  }
  const gradientModel = buildGradientGraph(model, {
    of: check.of,
    wrt: check.wrt,
    ...(check.recompute ? { recompute: check.recompute } : {}),
  });
  const backward = await sessions(gradientModel);
  const results = await backward({ ...check.feeds, ...seeds });

  const errors: Record<string, number> = {};
  const gradients: Record<string, HostTensor> = {};
  const isInput = new Set(model.graph.inputs.map((input) => input.name));
  for (const name of check.wrt) {
    const value = reference[name]!;
    const internal = !isInput.has(name);
    const forward = await sessions(
      withOutputs(internal ? perturbableAt(model, name, dataType) : model, check.of, dataType),
    );
    const start = internal ? new Float64Array(value.data.length) : asFloat64(value.data);
    const evaluate = async (values: Float64Array) => {
      const feed: HostTensor = { dataType, dims: value.dims, data: typed(values) };
      const outputs = await forward({ ...check.feeds, [internal ? `${name}__delta` : name]: feed });
      return Float64Array.from(check.of.flatMap((of) => Array.from(asFloat64(outputs[of]!.data))));
    };
    const numeric = vjpFromJacobian(await numericalJacobian(evaluate, start, { step }), seedFlat);
    const analytic = results[gradName(name)]!;
    gradients[name] = analytic;
    errors[name] = maxRelativeError(asFloat64(analytic.data), numeric);
  }
  return { errors, maxError: Math.max(0, ...Object.values(errors)), gradients };
}
