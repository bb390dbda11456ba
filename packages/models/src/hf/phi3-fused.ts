import { TokenscopeError } from "@tokenscope/core";
import { layerTensorName } from "../weights/names.ts";
import type { DecoderConfig, WeightTensor } from "../weights/types.ts";

/**
 * Phi-3's fused per-layer matrices as `Phi3ForCausalLM` saves them: `self_attn.qkv_proj` holds the
 * rows of q, then k, then v ([(heads + 2·kvHeads)·headDim, hidden]); `mlp.gate_up_proj` the rows of
 * gate, then up ([2·intermediate, hidden]), as transformers' `qkv[..., :query_pos]` slicing and
 * `chunk(2)` read them.
 */
export const phi3FusedNames = {
  qkv: (layer: number): string => `model.layers.${layer}.self_attn.qkv_proj.weight`,
  gateUp: (layer: number): string => `model.layers.${layer}.mlp.gate_up_proj.weight`,
} as const;

/** One fused matrix: its name, and the Llama matrices its row blocks become, in order. */
interface FusedMatrix {
  fused: string;
  parts: { name: string; rows: number }[];
}

function fusedMatrices(config: DecoderConfig, layer: number): FusedMatrix[] {
  const qRows = config.numHeads * config.headDim;
  const kvRows = config.numKeyValueHeads * config.headDim;
  const ffn = config.intermediateSize;
  return [
    {
      fused: phi3FusedNames.qkv(layer),
      parts: [
        { name: layerTensorName(layer, "self_attn.q_proj"), rows: qRows },
        { name: layerTensorName(layer, "self_attn.k_proj"), rows: kvRows },
        { name: layerTensorName(layer, "self_attn.v_proj"), rows: kvRows },
      ],
    },
    {
      fused: phi3FusedNames.gateUp(layer),
      parts: [
        { name: layerTensorName(layer, "mlp.gate_proj"), rows: ffn },
        { name: layerTensorName(layer, "mlp.up_proj"), rows: ffn },
      ],
    },
  ];
}

/**
 * The shape of every tensor of a Phi-3 checkpoint, by Hugging Face name: the Llama layout of
 * `expected` (what the graphs read) with each layer's q/k/v and gate/up matrices replaced by the
 * fused `qkv_proj` and `gate_up_proj`.
 */
export function phi3CheckpointTensorDims(
  config: DecoderConfig,
  expected: ReadonlyMap<string, number[]>,
): Map<string, number[]> {
  const dims = new Map(expected);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const { fused, parts } of fusedMatrices(config, layer)) {
      for (const part of parts) dims.delete(part.name);
      dims.set(fused, [parts.reduce((sum, part) => sum + part.rows, 0), config.hiddenSize]);
    }
  }
  return dims;
}

function fail(source: string, what: string, tensor: string): never {
  throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "The checkpoint is damaged or is not a Phi-3 checkpoint; compare it with the model's original.",
    details: { source, tensor },
  });
}

/**
 * Splits Phi-3's fused matrices, in place, into the Llama matrices the graphs read: each layer's
 * `qkv_proj` rows into `q_proj`, `k_proj`, `v_proj` and its `gate_up_proj` rows into `gate_proj`,
 * `up_proj` (copies; the fused tensors are removed). Every other tensor is left as it is.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming a fused matrix that is missing or misshapen, or a
 *   split matrix the checkpoint already holds beside it.
 */
export function splitPhi3FusedTensors(
  config: DecoderConfig,
  tensors: Map<string, WeightTensor>,
  source: string,
): void {
  const hidden = config.hiddenSize;
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const { fused, parts } of fusedMatrices(config, layer)) {
      const tensor = tensors.get(fused);
      const rows = parts.reduce((sum, part) => sum + part.rows, 0);
      if (!tensor) fail(source, `${fused} is missing`, fused);
      if (tensor.dims.join(",") !== `${rows},${hidden}` || tensor.data.length !== rows * hidden) {
        fail(source, `${fused} has dims [${tensor.dims}], expected [${rows},${hidden}]`, fused);
      }
      let start = 0;
      for (const part of parts) {
        if (tensors.has(part.name))
          fail(source, `${part.name} is not a tensor of a Phi-3 checkpoint`, part.name);
        const data = tensor.data.slice(start * hidden, (start + part.rows) * hidden);
        tensors.set(part.name, { dims: [part.rows, hidden], data });
        start += part.rows;
      }
      tensors.delete(fused);
    }
  }
}

/**
 * The inverse of {@link splitPhi3FusedTensors}: the tensors as a Phi-3 checkpoint stores them,
 * each layer's q/k/v and gate/up matrices concatenated by rows into `qkv_proj` and `gate_up_proj`
 * (in the order of the input's first matrix of each). A new map; `tensors` is not changed.
 */
export function fusePhi3Tensors(
  config: DecoderConfig,
  tensors: ReadonlyMap<string, WeightTensor>,
): Map<string, WeightTensor> {
  const hidden = config.hiddenSize;
  const fusedOf = new Map<string, FusedMatrix>();
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const matrix of fusedMatrices(config, layer)) {
      for (const part of matrix.parts) fusedOf.set(part.name, matrix);
    }
  }
  const out = new Map<string, WeightTensor>();
  for (const [name, tensor] of tensors) {
    const matrix = fusedOf.get(name);
    if (!matrix) {
      out.set(name, tensor);
      continue;
    }
    if (out.has(matrix.fused)) continue;
    const rows = matrix.parts.reduce((sum, part) => sum + part.rows, 0);
    const data = new Float32Array(rows * hidden);
    let start = 0;
    for (const part of matrix.parts) {
      const partTensor = tensors.get(part.name);
      if (!partTensor || partTensor.data.length !== part.rows * hidden) {
        fail("phi3 weights", `${part.name} is missing or misshapen`, part.name);
      }
      data.set(partTensor.data, start * hidden);
      start += part.rows;
    }
    out.set(matrix.fused, { dims: [rows, hidden], data });
  }
  return out;
}
