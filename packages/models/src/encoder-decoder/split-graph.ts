import { type Graph, nodeReads, type OnnxModel } from "@tokenscope/tensor-backends";
import { encoderDecoderTensorNames as names } from "../graphs/encoder-decoder/tensor-names.ts";
import { buildTransformerGraph } from "../graphs/encoder-decoder/transformer.ts";
import type { EncoderDecoderWeights } from "../graphs/encoder-decoder/types.ts";

/**
 * `graph` cut down to what `outputs` need, with `cut` values read as graph inputs (their producers
 * dropped): nodes, initializers and inputs nothing needs are removed. Nodes are in topological order.
 */
function pruned(graph: Graph, outputs: Graph["outputs"], cut: Graph["inputs"]): Graph {
  const cutNames = new Set(cut.map((value) => value.name));
  const needed = new Set(outputs.map((value) => value.name));
  const nodes: Graph["nodes"] = [];
  for (let index = graph.nodes.length - 1; index >= 0; index--) {
    const node = graph.nodes[index]!;
    if (!node.outputs.some((output) => needed.has(output) && !cutNames.has(output))) continue;
    nodes.push(node);
    for (const read of nodeReads(node)) needed.add(read);
  }
  nodes.reverse();
  return {
    ...graph,
    nodes,
    initializers: graph.initializers.filter((tensor) => needed.has(tensor.name)),
    inputs: [...graph.inputs.filter((value) => needed.has(value.name)), ...cut],
    outputs,
    valueInfo: graph.valueInfo.filter((value) => needed.has(value.name) && !cutNames.has(value.name)),
  };
}

/**
 * The Transformer graph split at the encoder output, so that a source is encoded once per
 * generation: `encoder` takes `input_ids`, `attention_mask` and returns `encoder_hidden_states`
 * [batch, src, hidden]; `decoder` takes `attention_mask`, `decoder_input_ids`,
 * `decoder_attention_mask` and `encoder_hidden_states` and returns `logits` [batch, tgt, vocab].
 * Both are cut out of `buildTransformerGraph`'s graph, so they compute exactly what it does.
 */
export function buildSplitTransformerGraphs(weights: EncoderDecoderWeights): {
  encoder: OnnxModel;
  decoder: OnnxModel;
} {
  const full = buildTransformerGraph(weights, { taps: [names.encoderHiddenStates] }).model;
  const graph = full.graph;
  const hiddenStates = graph.outputs.find((value) => value.name === names.encoderHiddenStates)!;
  const logits = graph.outputs.find((value) => value.name === names.logits)!;
  return {
    encoder: { ...full, graph: pruned(graph, [hiddenStates], []) },
    decoder: { ...full, graph: pruned(graph, [logits], [hiddenStates]) },
  };
}
