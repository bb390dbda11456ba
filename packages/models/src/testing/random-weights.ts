import { seededUniform, throwIfAborted } from "@tokenscope/core";
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

/** Values filled between two yields of {@link randomDecoderWeightSteps}: a few milliseconds of work. */
const VALUES_PER_STEP = 1 << 20;

/**
 * Random weights for `config`, the same for the same seed: matrices uniform in ±1/sqrt(in) (so
 * activations stay of order one through the layers), norm weights around 1, biases in ±0.2.
 * The tensors are the ones `expectedTensorDims` lists for the config's architecture.
 */
export function randomDecoderWeights(config: Partial<DecoderConfig> = {}, seed = 1): DecoderWeights {
  const steps = randomDecoderWeightSteps(config, seed);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * {@link randomDecoderWeights} that yields to the event loop every million values and stops with
 * `ABORTED` when `signal` aborts: a model of gigabytes takes seconds to fill, and Ctrl-C must be
 * seen meanwhile. The same weights for the same seed.
 */
export async function randomDecoderWeightsCancellable(
  config: Partial<DecoderConfig>,
  seed: number,
  signal?: AbortSignal,
): Promise<DecoderWeights> {
  const steps = randomDecoderWeightSteps(config, seed);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
    throwIfAborted(signal);
  }
}

/** The fill of {@link randomDecoderWeights} as steps of at most {@link VALUES_PER_STEP} values. */
function* randomDecoderWeightSteps(
  config: Partial<DecoderConfig>,
  seed: number,
): Generator<void, DecoderWeights> {
  const fullConfig: DecoderConfig = { ...tinyDecoderConfig, ...config };
  const random = seededUniform(seed);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, dims] of expectedTensorDims(fullConfig)) {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    // GPT-2's Conv1D matrices are [in, out]; every other matrix (and table) is [out, in].
    const inputs = isConv1d(fullConfig, name) ? dims[0]! : dims[1]!;
    const scale = 1 / Math.sqrt(inputs);
    const value = name.endsWith(".bias")
      ? () => 0.4 * random() - 0.2
      : dims.length === 1
        ? () => 0.5 + random()
        : () => (2 * random() - 1) * scale;
    for (let start = 0; start < count; start += VALUES_PER_STEP) {
      const end = Math.min(count, start + VALUES_PER_STEP);
      for (let i = start; i < end; i++) data[i] = value();
      if (end < count) yield;
    }
    tensors.set(name, { dims: [...dims], data });
    yield;
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
 * (Qwen3 and Gemma with a head size that is not hidden / heads, Gemma with one key/value head;
 * Gemma 2 with a window of 4 on its even layers, a query scalar that is not the head size and
 * Gemma 2's soft caps; Phi-3 as Llama with an untied output and Phi-3's norm epsilon, its weights
 * under the split Llama names the loader gives; NeoX rotating half of each head; OPT pre-norm with
 * ReLU, `layerNormBefore: false` giving opt-350m's post-norm layers).
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
  gemma: {
    ...tinyShared,
    architecture: "gemma",
    intermediateSize: 64,
    numKeyValueHeads: 1,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeStyle: "half",
    tieWordEmbeddings: true,
    activation: "gelu_tanh",
  },
  gemma2: {
    ...tinyShared,
    architecture: "gemma2",
    intermediateSize: 64,
    numKeyValueHeads: 2,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeStyle: "half",
    tieWordEmbeddings: true,
    activation: "gelu_tanh",
    slidingWindow: 4,
    queryPreAttentionScalar: 24,
    attentionLogitSoftcap: 50,
    finalLogitSoftcap: 30,
  },
  // Gemma 3 with a global layer every second one, so that both kinds of layer are tested.
  gemma3_text: {
    ...tinyShared,
    architecture: "gemma3_text",
    intermediateSize: 64,
    numKeyValueHeads: 2,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeStyle: "half",
    ropeTheta: 1000000,
    ropeScaling: { type: "linear", factor: 8 },
    ropeLocalTheta: 10000,
    tieWordEmbeddings: true,
    activation: "gelu_tanh",
    slidingWindow: 3,
    slidingWindowPattern: 2,
    queryPreAttentionScalar: 24,
  },
  phi3: {
    ...tinyShared,
    architecture: "phi3",
    intermediateSize: 48,
    numKeyValueHeads: 2,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: false,
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
  opt: {
    ...tinyShared,
    architecture: "opt",
    intermediateSize: 128,
    numKeyValueHeads: 4,
    headDim: 8,
    ropeStyle: "half",
    tieWordEmbeddings: true,
    layerNormEps: 1e-5,
    activation: "relu",
    layerNormBefore: true,
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

/** {@link randomWeights}, cancellable and yielding (see {@link randomDecoderWeightsCancellable}). */
export function randomWeightsCancellable(
  architecture: string,
  config: Partial<DecoderConfig>,
  seed: number,
  signal?: AbortSignal,
): Promise<DecoderWeights> {
  const base = tinyFamilyConfigs[architecture] ?? { ...tinyDecoderConfig, architecture };
  return randomDecoderWeightsCancellable({ ...base, ...config }, seed, signal);
}
