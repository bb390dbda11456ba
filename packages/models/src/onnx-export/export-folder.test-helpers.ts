import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createGraphBuilder,
  encodeModel,
  type GraphNode,
  type OnnxModel,
  removeDeadNodes,
  renameValues,
} from "@tokenscope/tensor-backends";
import { buildDecoderGraph } from "../graphs/build-decoder-graph.ts";
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from "../graphs/tensor-names.ts";
import type { DecoderWeights } from "../weights/types.ts";

/**
 * tokenscope's own KV-cache graph under transformers.js names: `past_key_values.{i}.key/value` in,
 * `present.{i}.key/value` out (input_ids, attention_mask, position_ids and logits already match).
 */
export function transformersJsGraph(weights: DecoderWeights): OnnxModel {
  const { model } = buildDecoderGraph(weights, { kvCache: true });
  const mapping: Record<string, string> = {};
  for (let layer = 0; layer < weights.config.numLayers; layer++) {
    mapping[pastKeyName(layer)] = `past_key_values.${layer}.key`;
    mapping[pastValueName(layer)] = `past_key_values.${layer}.value`;
    mapping[presentKeyName(layer)] = `present.${layer}.key`;
    mapping[presentValueName(layer)] = `present.${layer}.value`;
  }
  return { ...model, graph: renameValues(model.graph, mapping) };
}

/**
 * The graph with its first activation × activation MatMul (layer 0's attention scores) computed by
 * com.microsoft.FusedMatMul instead: the same numbers from ONNX Runtime's contrib kernel, but an
 * operator without a gradient rule or rewrite, as fused attention exports have.
 */
export function withFusedAttentionMatMul(model: OnnxModel): OnnxModel {
  const constants = new Set(model.graph.initializers.map((tensor) => tensor.name));
  const producers = new Map(model.graph.nodes.flatMap((node) => node.outputs.map((name) => [name, node])));
  const isActivation = (name: string) => !constants.has(name) && producers.get(name)?.opType !== "Constant";
  const index = model.graph.nodes.findIndex(
    (node) => node.opType === "MatMul" && node.inputs.every((name) => isActivation(name)),
  );
  if (index < 0) throw new Error("no activation MatMul in the graph");
  const nodes = [...model.graph.nodes];
  const fused: GraphNode = {
    ...nodes[index]!,
    opType: "FusedMatMul",
    domain: "com.microsoft",
    attributes: { alpha: { type: "float", value: 1 } },
  };
  nodes[index] = fused;
  const opsetImports = model.opsetImports.some((opset) => opset.domain === "com.microsoft")
    ? model.opsetImports
    : [...model.opsetImports, { domain: "com.microsoft", version: 1 }];
  return { ...model, opsetImports, graph: { ...model.graph, nodes } };
}

/**
 * The graph with every RMSNorm (Pow, ReduceMean, Add, Sqrt, Div, Mul by a weight) fused into one
 * SimplifiedLayerNormalization node, as transformers.js exports of Llama models write it: a contrib
 * operator that `rewriteContribOps` turns back into standard ones, so gradients stay available.
 */
export function withSimplifiedLayerNorms(model: OnnxModel, epsilon: number): OnnxModel {
  const graph = model.graph;
  const producer = new Map(graph.nodes.flatMap((node) => node.outputs.map((name) => [name, node])));
  const constants = new Set(graph.initializers.map((tensor) => tensor.name));
  const normOf = (mul: GraphNode): GraphNode | undefined => {
    if (mul.opType !== "Mul" || !constants.has(mul.inputs[1]!)) return undefined;
    const div = producer.get(mul.inputs[0]!);
    const sqrt = div?.opType === "Div" ? producer.get(div.inputs[1]!) : undefined;
    const add = sqrt?.opType === "Sqrt" ? producer.get(sqrt.inputs[0]!) : undefined;
    const mean = add?.opType === "Add" ? producer.get(add.inputs[0]!) : undefined;
    const pow = mean?.opType === "ReduceMean" ? producer.get(mean.inputs[0]!) : undefined;
    if (pow?.opType !== "Pow" || pow.inputs[0] !== div!.inputs[0]) return undefined;
    return {
      name: `${mul.name}/SimplifiedLayerNormalization`,
      opType: "SimplifiedLayerNormalization",
      domain: "",
      inputs: [div!.inputs[0]!, mul.inputs[1]!],
      outputs: [...mul.outputs],
      attributes: { axis: { type: "int", value: -1 }, epsilon: { type: "float", value: epsilon } },
    };
  };
  let fusedCount = 0;
  const nodes = graph.nodes.map((node) => {
    const norm = normOf(node);
    if (norm) fusedCount++;
    return norm ?? node;
  });
  if (fusedCount === 0) throw new Error("no RMSNorm pattern in the graph");
  return { ...model, graph: removeDeadNodes({ ...graph, nodes }) };
}

/**
 * Copies a Hugging Face folder without its safetensors and writes `model` as `onnx/<file>`: the layout
 * of a transformers.js model folder.
 */
export async function writeExportFolder(
  hfFolder: string,
  out: string,
  model: OnnxModel,
  file = "model.onnx",
): Promise<string> {
  await mkdir(join(out, "onnx"), { recursive: true });
  for (const name of await readdir(hfFolder)) {
    if (!name.endsWith(".safetensors") && !name.endsWith(".index.json")) {
      await copyFile(join(hfFolder, name), join(out, name));
    }
  }
  await writeFile(join(out, "onnx", file), encodeModel(model));
  return out;
}

/** Sizes of {@link gqaExportGraph}. */
export interface GqaExportSizes {
  vocab: number;
  hidden: number;
  heads: number;
  kvHeads: number;
}

/**
 * A one-layer decoder in the shape of an optimum/transformers.js export with fused attention:
 * embedding Gather, q/k/v projections, com.microsoft.GroupQueryAttention (seqlens_k and
 * total_sequence_length computed from attention_mask, past_key_values.0.* in, present.0.* out),
 * output projection with a residual, and an LM head. No position_ids input. Random weights from
 * a fixed seed.
 */
export function gqaExportGraph(sizes: GqaExportSizes, seed: number): OnnxModel {
  const { vocab, hidden, heads, kvHeads } = sizes;
  const headDim = hidden / heads;
  let state = seed >>> 0;
  const random = (count: number, scale: number) =>
    Float32Array.from({ length: count }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state / 2 ** 32 - 0.5) * 2 * scale;
    });
  const b = createGraphBuilder("gqa-export");
  const ids = b.input("input_ids", "int64", ["batch", "sequence"]);
  const mask = b.input("attention_mask", "int64", ["batch", "total"]);
  const pastKey = b.input("past_key_values.0.key", "float32", ["batch", kvHeads, "past", headDim]);
  const pastValue = b.input("past_key_values.0.value", "float32", ["batch", kvHeads, "past", headDim]);
  const weight = (rows: number, columns: number, scale: number) =>
    b.initializer(random(rows * columns, scale), [rows, columns]);
  const [embedded] = b.node("Gather", [weight(vocab, hidden, 1), ids], { axis: 0 });
  const project = (width: number) => b.node("MatMul", [embedded!, weight(hidden, width, 0.3)])[0]!;
  const [query, key, value] = [project(hidden), project(kvHeads * headDim), project(kvHeads * headDim)];
  const [lengths] = b.node("ReduceSum", [mask, b.initializer(BigInt64Array.from([1n]), [1])], {
    keepdims: 0,
  });
  const [lastIndex] = b.node("Sub", [lengths!, b.initializer(BigInt64Array.from([1n]), [])]);
  const [seqlensK] = b.node("Cast", [lastIndex!], { to: 6 });
  const [maskShape] = b.node("Shape", [mask]);
  const [total] = b.node("Gather", [maskShape!, b.initializer(BigInt64Array.from([1n]), [])], { axis: 0 });
  const [totalLength] = b.node("Cast", [total!], { to: 6 });
  const [attention] = b.node(
    "GroupQueryAttention",
    [query, key, value, pastKey, pastValue, seqlensK!, totalLength!],
    { num_heads: heads, kv_num_heads: kvHeads },
    { domain: "com.microsoft", outputs: ["attention", "present.0.key", "present.0.value"] },
  );
  const [mixed] = b.node("MatMul", [attention!, weight(hidden, hidden, 0.3)]);
  const [residual] = b.node("Add", [embedded!, mixed!]);
  b.node("MatMul", [residual!, weight(hidden, vocab, 0.3)], {}, { outputs: ["logits"] });
  b.output("logits", "float32", ["batch", "sequence", vocab]);
  b.output("present.0.key", "float32", ["batch", kvHeads, "total", headDim]);
  b.output("present.0.value", "float32", ["batch", kvHeads, "total", headDim]);
  return b.build({ "": 17 });
}

/**
 * The graph with its token table stored as int8 and read through DequantizeLinear, as q8 exports
 * store it: the embedding Gather no longer reads an initializer, so inputs cannot become embeddings.
 */
export function withQuantizedEmbeddingTable(model: OnnxModel): OnnxModel {
  const graph = model.graph;
  const gather = graph.nodes.find((node) => node.opType === "Gather" && node.inputs[1] === "input_ids");
  const table = graph.initializers.find((tensor) => tensor.name === gather?.inputs[0]);
  if (!gather || !table) throw new Error("no embedding Gather in the graph");
  const values = table.data as Float32Array;
  const scale = Math.max(...Array.from(values, Math.abs)) / 127;
  const quantized = Int8Array.from(values, (value) => Math.round(value / scale));
  const initializers = [
    ...graph.initializers,
    { name: "embed_tokens/quantized", dataType: "int8" as const, dims: [...table.dims], data: quantized },
    { name: "embed_tokens/scale", dataType: "float32" as const, dims: [], data: Float32Array.from([scale]) },
  ];
  const dequantize: GraphNode = {
    name: "embed_tokens/DequantizeLinear",
    opType: "DequantizeLinear",
    domain: "",
    inputs: ["embed_tokens/quantized", "embed_tokens/scale"],
    outputs: ["embed_tokens/dequantized"],
    attributes: {},
  };
  const nodes = graph.nodes.map((node) =>
    node === gather ? { ...node, inputs: ["embed_tokens/dequantized", "input_ids"] } : node,
  );
  return { ...model, graph: { ...graph, initializers, nodes: [dequantize, ...nodes] } };
}
