import type { WeightTensor } from "../../weights/types.ts";
import type { T5Config } from "./t5-config.ts";

/*
 * An independent float64 forward pass of a Hugging Face T5 model, written plainly from
 * `modeling_t5.py` (T5LayerNorm, T5Attention.compute_bias and _relative_position_bucket,
 * T5DenseActDense / T5DenseGatedActDense, the tied-head rescale): loops over vectors, no graph, no
 * shared code with the builder. One unpadded sequence pair at a time.
 */

type Vector = Float64Array;

function tensor(tensors: Map<string, WeightTensor>, name: string): Float32Array {
  const found = tensors.get(name);
  if (found === undefined) throw new Error(`reference: no tensor ${name}`);
  return found.data;
}

/** y = W x for W [out, in] row-major (T5 has no biases). */
function matVec(tensors: Map<string, WeightTensor>, name: string, x: Vector): Vector {
  const w = tensor(tensors, name);
  const inputs = x.length;
  const out = w.length / inputs;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i]! * x[i]!;
    y[o] = sum;
  }
  return y;
}

/** T5LayerNorm: x / sqrt(mean(x²) + eps) × weight; no mean subtraction, no bias. */
function t5LayerNorm(tensors: Map<string, WeightTensor>, name: string, x: Vector, eps: number): Vector {
  const weight = tensor(tensors, name);
  let meanSquare = 0;
  for (const value of x) meanSquare += value * value;
  meanSquare /= x.length;
  const scale = 1 / Math.sqrt(meanSquare + eps);
  return x.map((value, i) => value * scale * weight[i]!);
}

const add = (a: Vector, b: Vector): Vector => a.map((value, i) => value + b[i]!);

/**
 * `_relative_position_bucket` line by line, the log branch in float32 as PyTorch runs it
 * (`relative_position.float()`, float32 scalars).
 */
export function referenceRelativeBucket(
  relativePosition: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): number {
  const f = Math.fround;
  let relativeBuckets = 0;
  let position = relativePosition;
  let buckets = numBuckets;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    relativeBuckets += (position > 0 ? 1 : 0) * buckets;
    position = Math.abs(position);
  } else {
    position = -Math.min(position, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  const isSmall = position < maxExact;
  const large =
    maxExact +
    Math.trunc(
      f(f(f(Math.log(f(position / maxExact))) / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact)),
    );
  relativeBuckets += isSmall ? position : Math.min(large, buckets - 1);
  return relativeBuckets;
}

/** Which value vectors the reference zeroes: `(kind, layer, head, key)` → 0 to zero, 1 to keep. */
export type ReferenceValueScale = (
  kind: "encoder" | "decoder" | "cross",
  layer: number,
  head: number,
  key: number,
) => number;

/**
 * Multi-head T5 attention of `queries` over `keys` / `values` (all [n, heads × headDim]): plain dot
 * products plus `bias(head, query, key)`, softmax over the visible keys (`causal`: key ≤ query), the
 * value of key s scaled by `scale(head, s)`.
 */
function multiHead(
  queries: Vector[],
  keys: Vector[],
  values: Vector[],
  heads: number,
  headDim: number,
  causal: boolean,
  bias: (head: number, query: number, key: number) => number,
  scale: (head: number, key: number) => number,
): Vector[] {
  return queries.map((q, t) => {
    const out = new Float64Array(heads * headDim);
    for (let h = 0; h < heads; h++) {
      const visible = causal ? t + 1 : keys.length;
      const scores: number[] = [];
      for (let s = 0; s < visible; s++) {
        let dot = 0;
        for (let k = 0; k < headDim; k++) dot += q[h * headDim + k]! * keys[s]![h * headDim + k]!;
        scores.push(dot + bias(h, t, s));
      }
      const max = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - max));
      const total = weights.reduce((a, b) => a + b, 0);
      for (let s = 0; s < visible; s++) {
        for (let k = 0; k < headDim; k++) {
          out[h * headDim + k] =
            out[h * headDim + k]! + (weights[s]! / total) * scale(h, s) * values[s]![h * headDim + k]!;
        }
      }
    }
    return out;
  });
}

function activate(kind: T5Config["feedForward"], x: number): number {
  if (kind === "relu") return Math.max(0, x);
  if (kind === "gated-silu") return x / (1 + Math.exp(-x));
  // gelu_new: 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))).
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

function feedForward(config: T5Config, tensors: Map<string, WeightTensor>, scope: string, x: Vector): Vector {
  const normed = t5LayerNorm(tensors, `${scope}.layer_norm.weight`, x, config.layerNormEps);
  const dense = `${scope}.DenseReluDense`;
  let hidden: Vector;
  if (config.feedForward === "relu") {
    hidden = matVec(tensors, `${dense}.wi.weight`, normed).map((v) => activate("relu", v));
  } else {
    const linear = matVec(tensors, `${dense}.wi_1.weight`, normed);
    hidden = matVec(tensors, `${dense}.wi_0.weight`, normed).map(
      (v, i) => activate(config.feedForward, v) * linear[i]!,
    );
  }
  return add(x, matVec(tensors, `${dense}.wo.weight`, hidden));
}

/** `bias(head, query, key)` of a stack: block 0's table at the bucket of key − query. */
function positionBias(
  config: T5Config,
  tensors: Map<string, WeightTensor>,
  stack: "encoder" | "decoder",
): (head: number, query: number, key: number) => number {
  const table = tensor(tensors, `${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`);
  return (head, query, key) => {
    const bucket = referenceRelativeBucket(
      key - query,
      stack === "encoder",
      config.relativeBuckets,
      config.relativeMaxDistance,
    );
    return table[bucket * config.numHeads + head]!;
  };
}

function selfAttention(
  config: T5Config,
  tensors: Map<string, WeightTensor>,
  stack: "encoder" | "decoder",
  layer: number,
  x: Vector[],
  scale: (head: number, key: number) => number,
): Vector[] {
  const scope = `${stack}.block.${layer}.layer.0`;
  const attn = `${scope}.SelfAttention`;
  const normed = x.map((v) => t5LayerNorm(tensors, `${scope}.layer_norm.weight`, v, config.layerNormEps));
  const attended = multiHead(
    normed.map((v) => matVec(tensors, `${attn}.q.weight`, v)),
    normed.map((v) => matVec(tensors, `${attn}.k.weight`, v)),
    normed.map((v) => matVec(tensors, `${attn}.v.weight`, v)),
    config.numHeads,
    config.headDim,
    stack === "decoder",
    positionBias(config, tensors, stack),
    scale,
  );
  return x.map((v, t) => add(v, matVec(tensors, `${attn}.o.weight`, attended[t]!)));
}

/**
 * Logits [target position][vocab] of `targetIds` given `sourceIds`, teacher forcing, with value
 * vectors scaled by `valueScale` (value zeroing; none zeroed when absent).
 */
export function referenceT5Logits(
  config: T5Config,
  tensors: Map<string, WeightTensor>,
  sourceIds: readonly number[],
  targetIds: readonly number[],
  valueScale: ReferenceValueScale = () => 1,
): Float64Array[] {
  const d = config.hiddenSize;
  const shared = tensor(tensors, "shared.weight");
  const embed = (ids: readonly number[]) =>
    ids.map((id) => Float64Array.from(shared.subarray(id * d, (id + 1) * d)));

  let x: Vector[] = embed(sourceIds);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    x = selfAttention(config, tensors, "encoder", layer, x, (h, s) => valueScale("encoder", layer, h, s));
    x = x.map((v) => feedForward(config, tensors, `encoder.block.${layer}.layer.1`, v));
  }
  const memory = x.map((v) =>
    t5LayerNorm(tensors, "encoder.final_layer_norm.weight", v, config.layerNormEps),
  );

  let y: Vector[] = embed(targetIds);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    y = selfAttention(config, tensors, "decoder", layer, y, (h, s) => valueScale("decoder", layer, h, s));
    const scope = `decoder.block.${layer}.layer.1`;
    const attn = `${scope}.EncDecAttention`;
    const crossAttended = multiHead(
      y.map((v) =>
        matVec(
          tensors,
          `${attn}.q.weight`,
          t5LayerNorm(tensors, `${scope}.layer_norm.weight`, v, config.layerNormEps),
        ),
      ),
      memory.map((m) => matVec(tensors, `${attn}.k.weight`, m)),
      memory.map((m) => matVec(tensors, `${attn}.v.weight`, m)),
      config.numHeads,
      config.headDim,
      false,
      () => 0,
      (h, s) => valueScale("cross", layer, h, s),
    );
    y = y.map((v, t) => add(v, matVec(tensors, `${attn}.o.weight`, crossAttended[t]!)));
    y = y.map((v) => feedForward(config, tensors, `decoder.block.${layer}.layer.2`, v));
  }
  return y.map((v) => {
    const normed = t5LayerNorm(tensors, "decoder.final_layer_norm.weight", v, config.layerNormEps);
    if (!config.tieWordEmbeddings) return matVec(tensors, "lm_head.weight", normed);
    return matVec(
      tensors,
      "shared.weight",
      normed.map((value) => value * d ** -0.5),
    );
  });
}
