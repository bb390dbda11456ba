import { seededUniform } from "@tokenscope/core";
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

/**
 * Random weights for `config`, the same for the same seed: matrices uniform in ±1/sqrt(in) (so
 * activations stay of order one through the layers), norm weights around 1, biases in ±0.2.
 * The tensors are the ones `expectedTensorDims` lists for the config's architecture.
 */
export function randomDecoderWeights(config: Partial<DecoderConfig> = {}, seed = 1): DecoderWeights {
  const fullConfig: DecoderConfig = { ...tinyDecoderConfig, ...config };
  const random = seededUniform(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of expectedTensorDims(fullConfig)) {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    if (name.endsWith(".bias")) {
      for (let i = 0; i < count; i++) data[i] = 0.4 * random() - 0.2;
    } else if (dims.length === 1) {
      for (let i = 0; i < count; i++) data[i] = 0.5 + random();
    } else {
      // GPT-2's Conv1D matrices are [in, out]; every other matrix (and table) is [out, in].
      const inputs = isConv1d(fullConfig, name) ? dims[0]! : dims[1]!;
      const scale = 1 / Math.sqrt(inputs);
      for (let i = 0; i < count; i++) data[i] = (2 * random() - 1) * scale;
    }
    tensors.set(name, { dims: [...dims], data });
  }
  return { config: fullConfig, tensors };
}

function isConv1d(config: DecoderConfig, name: string): boolean {
  return config.architecture === "gpt2" && /\.(attn|mlp)\.c_/.test(name);
}

const tinyShared = {
  vocabSize: 48,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  contextLength: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  bosTokenId: 1,
  eosTokenId: 2,
} as const;

/**
 * Tiny configs of every family for tests: 2 layers, hidden 32, 4 heads (2 key/value heads where the
 * family has grouped-query attention), settings as the family's Hugging Face models have them
 * (Qwen3 with a head size that is not hidden / heads; NeoX rotating half of each head).
 */
export const tinyFamilyConfigs: Readonly<Record<string, DecoderConfig>> = {
  llama: {
    ...tinyShared,
    architecture: "llama",
    intermediateSize: 48,
    numKeyValueHeads: 2,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: false,
  },
  mistral: {
    ...tinyShared,
    architecture: "mistral",
    intermediateSize: 48,
    numKeyValueHeads: 2,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: false,
  },
  qwen2: {
    ...tinyShared,
    architecture: "qwen2",
    intermediateSize: 48,
    numKeyValueHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 1000000,
    ropeStyle: "half",
    tieWordEmbeddings: true,
  },
  qwen3: {
    ...tinyShared,
    architecture: "qwen3",
    intermediateSize: 48,
    numKeyValueHeads: 2,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeTheta: 1000000,
    ropeStyle: "half",
    tieWordEmbeddings: true,
  },
  gpt2: {
    ...tinyShared,
    architecture: "gpt2",
    intermediateSize: 128,
    numKeyValueHeads: 4,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: true,
    layerNormEps: 1e-5,
    activation: "gelu_tanh",
  },
  gpt_neox: {
    ...tinyShared,
    architecture: "gpt_neox",
    intermediateSize: 128,
    numKeyValueHeads: 4,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: false,
    layerNormEps: 1e-5,
    activation: "gelu",
    parallelResidual: true,
    rotaryFraction: 0.5,
  },
};

/**
 * Random weights of a tiny model of `architecture` (its {@link tinyFamilyConfigs} entry with
 * `config` on top), the same for the same seed.
 */
export function randomWeights(
  architecture: string,
  config: Partial<DecoderConfig> = {},
  seed = 1,
): DecoderWeights {
  const base = tinyFamilyConfigs[architecture] ?? { ...tinyDecoderConfig, architecture };
  return randomDecoderWeights({ ...base, ...config }, seed);
}
