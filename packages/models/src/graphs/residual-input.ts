/**
 * Option `residualInput`: the graph starts from the residual stream after a layer, given as an input,
 * instead of from tokens. Layer methods (layer integrated gradients) feed interpolated residuals
 * through it and differentiate with respect to it.
 */
import { TokenscopeError } from "@tokenscope/core";
import { nodeReads, type OnnxModel, removeDeadNodes } from "@tokenscope/tensor-backends";
import type { DecoderGraphOptions } from "./types.ts";

function invalid(message: string, hint: string, details: Record<string, unknown>): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint, details });
}

/**
 * The layer whose output `residual.{layer}` becomes the graph input, or `undefined` when the graph
 * starts from tokens as usual.
 * @throws TokenscopeError INVALID_INPUT for a layer outside the model, or together with options that
 *   need the layers before it (`kvCache`, `taps.embeddings`).
 */
export function residualInputLayer(options: DecoderGraphOptions, numLayers: number): number | undefined {
  const layer = options.residualInput;
  if (layer === undefined) return undefined;
  if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) {
    throw invalid(
      `residualInput names layer ${String(layer)}; the model has layers 0 to ${numLayers - 1}.`,
      "Pass the index of the layer whose output residual stream the graph should take as input.",
      { residualInput: layer, numLayers },
    );
  }
  if (options.kvCache === true) {
    throw invalid(
      "residualInput cannot be combined with kvCache: the cache holds every layer's keys and values.",
      "Build the residual-input graph without kvCache (it is for attribution, not generation).",
      { residualInput: layer },
    );
  }
  if (options.taps?.embeddings === true) {
    throw invalid(
      `taps.embeddings is not computed by a graph that starts from residual.${layer}.`,
      "Tap the embeddings from the full graph instead.",
      { residualInput: layer },
    );
  }
  return layer;
}

/**
 * Refuses taps of layers the residual-input graph does not run (layers up to and including the
 * input layer, whose residual is the input itself).
 * @throws TokenscopeError INVALID_INPUT naming the first such tap.
 */
export function checkTapsAfterResidualInput(
  tapLayers: Readonly<Record<string, readonly number[]>>,
  residualInput: number,
): void {
  for (const [what, layers] of Object.entries(tapLayers)) {
    const early = layers.find((layer) => layer <= residualInput);
    if (early === undefined) continue;
    throw invalid(
      `taps.${what} names layer ${early}, which a graph starting from residual.${residualInput} does not run.`,
      `Tap layers after ${residualInput} only, or tap the full graph.`,
      { tap: what, layer: early, residualInput },
    );
  }
}

/**
 * The model without the nodes its outputs do not need and without the inputs nothing reads: starting
 * from a residual leaves the token lookup dead, and with no layer left to run, the mask, positions and
 * rotary tables too. The graph's input list is then exactly what a caller must feed.
 */
export function pruneUnusedInputs(model: OnnxModel): OnnxModel {
  const graph = removeDeadNodes(model.graph);
  const read = new Set<string>([
    ...graph.nodes.flatMap((node) => nodeReads(node)),
    ...graph.outputs.map((output) => output.name),
  ]);
  return { ...model, graph: { ...graph, inputs: graph.inputs.filter((input) => read.has(input.name)) } };
}
