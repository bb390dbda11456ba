import { layerTensorName } from "./names.ts";
import type { DecoderWeights, RopeStyle, WeightTensor } from "./types.ts";

/**
 * Reorders the rows of each head of a Q or K projection [heads * headDim, in]. Interleaved RoPE
 * rotates rows (2i, 2i+1) together, half-style RoPE rows (i, i + headDim/2): moving row 2i + j to
 * j * headDim/2 + i turns one into the other (Hugging Face's `permute` in
 * convert_llama_weights_to_hf.py); `toHalf = false` undoes it (llama.cpp's converter).
 */
function permuteHeads(tensor: WeightTensor, heads: number, toHalf: boolean): WeightTensor {
  const [rows, cols] = tensor.dims as [number, number];
  const headDim = rows / heads;
  const half = headDim / 2;
  const data = new Float32Array(tensor.data.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleavedRow = head * headDim + 2 * i + j;
        const halfRow = head * headDim + j * half + i;
        const [from, to] = toHalf ? [interleavedRow, halfRow] : [halfRow, interleavedRow];
        data.set(tensor.data.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return { dims: [rows, cols], data };
}

/**
 * The same model with the other RoPE pairing: permutes the rows of every Q and K projection and
 * sets `config.ropeStyle`. The logits do not change. Other tensors are shared, not copied.
 */
export function withRopeStyle(weights: DecoderWeights, style: RopeStyle): DecoderWeights {
  if (weights.config.ropeStyle === style) return weights;
  const toHalf = style === "half";
  const tensors = new Map(weights.tensors);
  for (let layer = 0; layer < weights.config.numLayers; layer++) {
    const q = layerTensorName(layer, "self_attn.q_proj");
    const k = layerTensorName(layer, "self_attn.k_proj");
    tensors.set(q, permuteHeads(tensors.get(q)!, weights.config.numHeads, toHalf));
    tensors.set(k, permuteHeads(tensors.get(k)!, weights.config.numKeyValueHeads, toHalf));
  }
  return { config: { ...weights.config, ropeStyle: style }, tensors };
}
