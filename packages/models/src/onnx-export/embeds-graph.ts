import {
  type GraphNode,
  makeTensor,
  type OnnxModel,
  removeDeadNodes,
  renameValues,
  type TensorConstant,
  type ValueInfo,
} from "@tokenscope/tensor-backends";

/** Names of the values the embeddings graph adds. */
export const embedsGraphNames = {
  inputsEmbeds: "inputs_embeds",
  logitPositions: "logit_positions",
  /** The export's own logits [batch, seq, vocab], renamed so `logits` can be the gathered ones. */
  allLogits: "logits_all",
} as const;

/** The token embedding lookup of an export: a Gather of `input_ids` from a [vocab, hidden] initializer. */
export interface EmbeddingLookup {
  node: GraphNode;
  table: TensorConstant;
}

/** The graph of an export fed with embeddings, with logits at chosen positions only. */
export interface EmbedsGraph {
  model: OnnxModel;
  /** Whether the graph still reads `input_ids` (for its shape only): feed any ids of the right shape. */
  readsInputIds: boolean;
}

/**
 * The embedding lookup of an export: the Gather whose indices are `input_ids` and whose data is an
 * initializer of rank 2 (a quantized table, read through DequantizeLinear, is not one).
 */
export function findEmbeddingLookup(model: OnnxModel): EmbeddingLookup | undefined {
  const graph = model.graph;
  const tables = new Map(graph.initializers.map((tensor) => [tensor.name, tensor]));
  for (const node of graph.nodes) {
    if (node.opType !== "Gather" || (node.domain !== "" && node.domain !== "ai.onnx")) continue;
    const axis = node.attributes["axis"];
    if (node.inputs[1] !== "input_ids" || (axis !== undefined && axis.value !== 0)) continue;
    const table = tables.get(node.inputs[0]!);
    if (table?.dims.length === 2 && table.data !== undefined) return { node, table };
  }
  return undefined;
}

function defaultOpset(model: OnnxModel): number {
  return model.opsetImports.find((entry) => entry.domain === "" || entry.domain === "ai.onnx")?.version ?? 13;
}

function plainNode(name: string, opType: string, inputs: string[], outputs: string[]): GraphNode {
  return { name, opType, domain: "", inputs, outputs, attributes: {} };
}

/**
 * Graph surgery on a transformers.js export: the embedding Gather is removed and its output becomes a
 * graph input `inputs_embeds` [batch, seq, hidden]; `logits` becomes the export's logits gathered at
 * `logit_positions` [batch, P] (GatherElements along the sequence axis), and the `present.*` outputs
 * are dropped (the `past_key_values.*` inputs stay: feed them empty).
 */
export function buildEmbedsGraph(model: OnnxModel, lookup: EmbeddingLookup): EmbedsGraph {
  const names = embedsGraphNames;
  const source = model.graph;
  const gathered = lookup.node.outputs[0]!;
  const withoutLookup = { ...source, nodes: source.nodes.filter((node) => node !== lookup.node) };
  const renamed = renameValues(withoutLookup, { [gathered]: names.inputsEmbeds, logits: names.allLogits });
  const readsInputIds = renamed.nodes.some((node) => node.inputs.includes("input_ids"));
  const idsInput = source.inputs.find((input) => input.name === "input_ids");
  const [batch, seq] = idsInput?.shape ?? ["batch", "sequence"];
  const hidden = lookup.table.dims[1]!;
  const embedsInput: ValueInfo = {
    name: names.inputsEmbeds,
    dataType: lookup.table.dataType,
    shape: [batch ?? "batch", seq ?? "sequence", hidden],
  };
  const positionsInput: ValueInfo = {
    name: names.logitPositions,
    dataType: "int64",
    shape: [batch ?? "batch", "positions"],
  };

  // logits[b, p, :] = all[b, positions[b, p], :]
  const prefix = "tokenscope/logit_gather";
  const axes = makeTensor([2], [1], "int64", `${prefix}/axes`);
  const vocabStart = makeTensor([2], [1], "int64", `${prefix}/start`);
  const vocabEnd = makeTensor([3], [1], "int64", `${prefix}/end`);
  const unsqueeze: GraphNode =
    defaultOpset(model) >= 13
      ? plainNode(`${prefix}/unsqueeze`, "Unsqueeze", [names.logitPositions, axes.name], [`${prefix}/index`])
      : {
          ...plainNode(`${prefix}/unsqueeze`, "Unsqueeze", [names.logitPositions], [`${prefix}/index`]),
          attributes: { axes: { type: "ints", value: [2] } },
        };
  const nodes: GraphNode[] = [
    unsqueeze,
    plainNode(`${prefix}/positions_shape`, "Shape", [names.logitPositions], [`${prefix}/positions_shape`]),
    plainNode(`${prefix}/logits_shape`, "Shape", [names.allLogits], [`${prefix}/logits_shape`]),
    plainNode(
      `${prefix}/vocab`,
      "Slice",
      [`${prefix}/logits_shape`, vocabStart.name, vocabEnd.name],
      [`${prefix}/vocab`],
    ),
    {
      ...plainNode(
        `${prefix}/shape`,
        "Concat",
        [`${prefix}/positions_shape`, `${prefix}/vocab`],
        [`${prefix}/shape`],
      ),
      attributes: { axis: { type: "int", value: 0 } },
    },
    plainNode(`${prefix}/expand`, "Expand", [`${prefix}/index`, `${prefix}/shape`], [`${prefix}/expanded`]),
    {
      ...plainNode(`${prefix}/gather`, "GatherElements", [names.allLogits, `${prefix}/expanded`], ["logits"]),
      attributes: { axis: { type: "int", value: 1 } },
    },
  ];
  const logitsOutput = renamed.outputs.find((output) => output.name === names.allLogits)!;
  const graph = removeDeadNodes({
    ...renamed,
    nodes: [...renamed.nodes, ...nodes],
    initializers: [
      ...renamed.initializers,
      ...(unsqueeze.inputs.length > 1 ? [axes] : []),
      vocabStart,
      vocabEnd,
    ],
    inputs: [
      ...renamed.inputs.filter((input) => input.name !== "input_ids" || readsInputIds),
      embedsInput,
      positionsInput,
    ],
    outputs: [
      { name: "logits", dataType: logitsOutput.dataType, shape: [batch ?? "batch", "positions", null] },
    ],
    valueInfo: renamed.valueInfo.filter((info) => info.name !== names.allLogits),
  });
  return { model: { ...model, graph }, readsInputIds };
}
