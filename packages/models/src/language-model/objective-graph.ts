import {
  contrastLogits,
  contrastLogitsDiff,
  contrastProb,
  contrastProbDiff,
  crossentropy,
  entropy,
  getStepFunction,
  logit,
  logprob,
  perplexity,
  probability,
} from "@tokenscope/core";
import type { DataType, GraphNode, OnnxModel, TensorConstant } from "@tokenscope/tensor-backends";
import { decoderTensorNames } from "../graphs/tensor-names.ts";

/** Names of the tensors an objective adds to a decoder graph. */
export const objectiveTensorNames = {
  /** int64 [batch, P]: the target id of every logit slot. */
  targets: "objective_targets",
  /** int64 [batch, P]: the contrast target id of every logit slot (contrastive objectives). */
  contrastTargets: "objective_contrast_targets",
  /** float [batch, P]: the objective of every logit slot. */
  objective: "objective",
} as const;

/** A score read at a slot's target (or contrast target): its logit, log-probability or probability. */
export interface ObjectiveTerm {
  kind: "logit" | "logprob" | "probability";
  side: "original" | "contrast";
  weight: number;
}

/**
 * A built-in step function as graph operations: exp (for perplexity) of Σ weight × score, or the
 * entropy of the slot's distribution. Plain data, so it can key a compiled graph.
 */
export type GraphObjective = { kind: "terms"; terms: ObjectiveTerm[]; exp?: boolean } | { kind: "entropy" };

const probabilityKind = (parameters: Record<string, unknown>) =>
  parameters.logprob === true ? ("logprob" as const) : ("probability" as const);

/**
 * The built-in step functions the graph computes itself, with the terms each one sums (the same ones
 * core's `evaluateScoreTerms` differentiates). Keyed by the step function object, not its id: a
 * user-registered replacement under a built-in id must run its own code (the two-phase fallback).
 */
const graphObjectives = new Map<object, (parameters: Record<string, unknown>) => GraphObjective>([
  [
    probability,
    (p) => ({ kind: "terms", terms: [{ kind: probabilityKind(p), side: "original", weight: 1 }] }),
  ],
  [logprob, () => ({ kind: "terms", terms: [{ kind: "logprob", side: "original", weight: 1 }] })],
  [logit, () => ({ kind: "terms", terms: [{ kind: "logit", side: "original", weight: 1 }] })],
  [crossentropy, () => ({ kind: "terms", terms: [{ kind: "logprob", side: "original", weight: -1 }] })],
  [
    perplexity,
    () => ({ kind: "terms", terms: [{ kind: "logprob", side: "original", weight: -1 }], exp: true }),
  ],
  [entropy, () => ({ kind: "entropy" })],
  [
    contrastProb,
    (p) => ({ kind: "terms", terms: [{ kind: probabilityKind(p), side: "contrast", weight: 1 }] }),
  ],
  [contrastLogits, () => ({ kind: "terms", terms: [{ kind: "logit", side: "contrast", weight: 1 }] })],
  [
    contrastProbDiff,
    (p) => ({
      kind: "terms",
      terms: [
        { kind: probabilityKind(p), side: "original", weight: 1 },
        { kind: probabilityKind(p), side: "contrast", weight: -1 },
      ],
    }),
  ],
  [
    contrastLogitsDiff,
    () => ({
      kind: "terms",
      terms: [
        { kind: "logit", side: "original", weight: 1 },
        { kind: "logit", side: "contrast", weight: -1 },
      ],
    }),
  ],
]);

/**
 * The graph form of the registered step function `id` with `parameters`, or undefined when it has
 * none (user-defined, replaced, or needing logits from a contrastive input): then the caller runs
 * the two-phase fallback. A contrast side without contrast targets reads the target itself, as core's
 * step functions do.
 */
export function graphObjectiveOf(
  id: string,
  parameters: Record<string, unknown> = {},
): GraphObjective | undefined {
  const build = graphObjectives.get(getStepFunction(id));
  return build?.(parameters);
}

/** Whether an objective reads contrast targets. */
export function usesContrast(objective: GraphObjective): boolean {
  return objective.kind === "terms" && objective.terms.some((term) => term.side === "contrast");
}

/**
 * Appends `objective` to a decoder graph with gathered logits [batch, P, vocab]: inputs
 * `objective_targets` (and `objective_contrast_targets` when a term reads them) [batch, P], output
 * `objective` [batch, P] in the logits' type. Differentiating `objective` instead of `logits` puts the
 * step function's derivative inside the backward pass, so one run gives values and gradients.
 */
export function appendObjective(model: OnnxModel, objective: GraphObjective): OnnxModel {
  const graph = model.graph;
  const logitsType = graph.outputs.find((output) => output.name === decoderTensorNames.logits)?.dataType;
  // Half-precision exports: the objective (and its seed) in float32, as log-softmax needs.
  const dataType: DataType = logitsType === "float64" ? "float64" : "float32";
  const nodes: GraphNode[] = [];
  const initializers: TensorConstant[] = [];
  let counter = 0;
  const op = (opType: string, inputs: string[], attributes: GraphNode["attributes"] = {}): string => {
    const name = `objective/${opType}_${counter++}`;
    nodes.push({ name, opType, domain: "", inputs, outputs: [name], attributes });
    return name;
  };
  const constant = (values: number[], type: DataType, dims: number[]): string => {
    const name = `objective/const_${counter++}`;
    const data =
      type === "int64"
        ? BigInt64Array.from(values.map(BigInt))
        : type === "float64"
          ? Float64Array.from(values)
          : Float32Array.from(values);
    initializers.push({ name, dataType: type, dims, data });
    return name;
  };
  const lastAxis = constant([-1], "int64", [1]);
  const logits =
    logitsType === undefined || logitsType === dataType
      ? decoderTensorNames.logits
      : op("Cast", [decoderTensorNames.logits], { to: { type: "int", value: 1 } });
  const slotIds = (input: string) => op("Unsqueeze", [input, lastAxis]);
  const axis = { axis: { type: "int" as const, value: -1 } };

  let value: string;
  const inputs = [...graph.inputs];
  if (objective.kind === "entropy") {
    const logProbabilities = op("LogSoftmax", [logits], axis);
    const weighted = op("Mul", [op("Exp", [logProbabilities]), logProbabilities]);
    value = op("Neg", [op("ReduceSum", [weighted, lastAxis], { keepdims: { type: "int", value: 1 } })]);
    // Entropy ignores the targets, but the input keeps every objective's feeds the same.
    inputs.push({ name: objectiveTensorNames.targets, dataType: "int64", shape: ["batch", "positions"] });
  } else {
    const original = slotIds(objectiveTensorNames.targets);
    inputs.push({ name: objectiveTensorNames.targets, dataType: "int64", shape: ["batch", "positions"] });
    let contrast = original;
    if (usesContrast(objective)) {
      contrast = slotIds(objectiveTensorNames.contrastTargets);
      inputs.push({
        name: objectiveTensorNames.contrastTargets,
        dataType: "int64",
        shape: ["batch", "positions"],
      });
    }
    const needsLog = objective.terms.some((term) => term.kind !== "logit");
    const logProbabilities = needsLog ? op("LogSoftmax", [logits], axis) : "";
    let sum: string | undefined;
    for (const term of objective.terms) {
      const ids = term.side === "original" ? original : contrast;
      let score = op("GatherElements", [term.kind === "logit" ? logits : logProbabilities, ids], axis);
      if (term.kind === "probability") score = op("Exp", [score]);
      if (term.weight !== 1) score = op("Mul", [score, constant([term.weight], dataType, [])]);
      sum = sum === undefined ? score : op("Add", [sum, score]);
    }
    value = objective.exp ? op("Exp", [sum!]) : sum!;
  }
  nodes.push({
    name: "objective/Squeeze",
    opType: "Squeeze",
    domain: "",
    inputs: [value, lastAxis],
    outputs: [objectiveTensorNames.objective],
    attributes: {},
  });
  return {
    ...model,
    graph: {
      ...graph,
      nodes: [...graph.nodes, ...nodes],
      initializers: [...graph.initializers, ...initializers],
      inputs,
      outputs: [
        ...graph.outputs,
        { name: objectiveTensorNames.objective, dataType, shape: ["batch", "positions"] },
      ],
    },
  };
}
