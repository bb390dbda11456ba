import { expectedTensorDims } from "../weights/names.ts";
import type { DecoderConfig, DecoderWeights, WeightTensor } from "../weights/types.ts";

/** A tiny Llama config for tests: 2 layers, grouped-query attention, untied output. */
export const tinyDecoderConfig: DecoderConfig = {
  architecture: "llama",
  vocabSize: 40,
  hiddenSize: 16,
  intermediateSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKeyValueHeads: 2,
  headDim: 4,
  contextLength: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "interleaved",
  tieWordEmbeddings: false,
  bosTokenId: 1,
  eosTokenId: 2,
};

/** mulberry32: a small deterministic generator, so test models need no dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random weights for `config`, the same for the same seed: matrices uniform in ±1/sqrt(in) (so
 * activations stay of order one through the layers), norm weights around 1.
 */
export function randomDecoderWeights(config: Partial<DecoderConfig> = {}, seed = 1): DecoderWeights {
  const fullConfig: DecoderConfig = { ...tinyDecoderConfig, ...config };
  const random = mulberry32(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of expectedTensorDims(fullConfig)) {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    if (dims.length === 1) {
      for (let i = 0; i < count; i++) data[i] = 0.5 + random();
    } else {
      const scale = 1 / Math.sqrt(dims[1]!);
      for (let i = 0; i < count; i++) data[i] = (2 * random() - 1) * scale;
    }
    tensors.set(name, { dims: [...dims], data });
  }
  return { config: fullConfig, tensors };
}
