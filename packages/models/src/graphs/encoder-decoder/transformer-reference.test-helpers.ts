import type { WeightTensor } from "../../weights/types.ts";
import type { EncoderDecoderConfig } from "./types.ts";

/*
 * An independent float64 forward pass of a pre-norm Transformer encoder-decoder, written plainly
 * from the model's description (aren-transliteration's README, "Attention is all you need"): loops
 * over vectors, no graph, no shared code with the builder. One unpadded sequence pair at a time.
 */

type Vector = Float64Array;

function tensor(tensors: Map<string, WeightTensor>, name: string): Float32Array {
  const found = tensors.get(name);
  if (found === undefined) throw new Error(`reference: no tensor ${name}`);
  return found.data;
}

/** y = W x + b for W [out, in] row-major. */
function affine(tensors: Map<string, WeightTensor>, scope: string, x: Vector): Vector {
  const w = tensor(tensors, `${scope}/weight`);
  const b = tensor(tensors, `${scope}/bias`);
  const out = b.length;
  const inputs = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = b[o]!;
    for (let i = 0; i < inputs; i++) sum += w[o * inputs + i]! * x[i]!;
    y[o] = sum;
  }
  return y;
}

function layerNorm(tensors: Map<string, WeightTensor>, scope: string, x: Vector, eps: number): Vector {
  const gamma = tensor(tensors, `${scope}/gamma`);
  const beta = tensor(tensors, `${scope}/beta`);
  let mean = 0;
  for (const value of x) mean += value;
  mean /= x.length;
  let variance = 0;
  for (const value of x) variance += (value - mean) ** 2;
  variance /= x.length;
  const scale = 1 / Math.sqrt(variance + eps);
  return x.map((value, i) => (value - mean) * scale * gamma[i]! + beta[i]!);
}

function add(a: Vector, b: Vector): Vector {
  return a.map((value, i) => value + b[i]!);
}

/** Token embedding × sqrt(d) plus [sin | cos] positions; position p of token t is t + 1. */
function embed(
  tensors: Map<string, WeightTensor>,
  table: string,
  ids: readonly number[],
  d: number,
): Vector[] {
  const rows = tensor(tensors, table);
  const half = d / 2;
  return ids.map((id, t) => {
    const position = t + 1;
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = rows[id * d + j]! * Math.sqrt(d);
    for (let j = 0; j < half; j++) {
      const angle = position * Math.exp((-j * Math.log(10000)) / (half - 1));
      x[j] = x[j]! + Math.sin(angle);
      x[half + j] = x[half + j]! + Math.cos(angle);
    }
    return x;
  });
}

/**
 * Multi-head attention of `queries` over `keys`/`values` (all [n, d]); `causal` limits key index ≤
 * query index; `scale(head, key)` multiplies a key's value vector (1 unless value zeroing asks).
 */
function multiHead(
  queries: Vector[],
  keys: Vector[],
  values: Vector[],
  heads: number,
  causal: boolean,
  scale: (head: number, key: number) => number = () => 1,
): Vector[] {
  const d = queries[0]!.length;
  const headDim = d / heads;
  return queries.map((q, t) => {
    const out = new Float64Array(d);
    for (let h = 0; h < heads; h++) {
      const visible = causal ? t + 1 : keys.length;
      const scores: number[] = [];
      for (let s = 0; s < visible; s++) {
        let dot = 0;
        for (let k = 0; k < headDim; k++) dot += q[h * headDim + k]! * keys[s]![h * headDim + k]!;
        scores.push(dot / Math.sqrt(headDim));
      }
      const max = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - max));
      const total = weights.reduce((a, b) => a + b, 0);
      for (let s = 0; s < visible; s++) {
        for (let k = 0; k < headDim; k++)
          out[h * headDim + k] =
            out[h * headDim + k]! + (weights[s]! / total) * scale(h, s) * values[s]![h * headDim + k]!;
      }
    }
    return out;
  });
}

function ffn(tensors: Map<string, WeightTensor>, scope: string, x: Vector, eps: number): Vector {
  const hidden = affine(tensors, `${scope}/linear_0`, layerNorm(tensors, `${scope}/layer_norm`, x, eps)).map(
    (v) => Math.max(0, v),
  );
  return add(x, affine(tensors, `${scope}/linear_1`, hidden));
}

/** Which value vectors the reference zeroes: `(kind, layer, head, key)` → 0 to zero, 1 to keep. */
export type ReferenceValueScale = (
  kind: "encoder" | "decoder" | "cross",
  layer: number,
  head: number,
  key: number,
) => number;

/**
 * Logits [target position][target vocab] of `targetIds` given `sourceIds`, teacher forcing, with
 * value vectors scaled by `valueScale` (value zeroing; none zeroed when absent).
 */
export function referenceTransformerLogits(
  config: EncoderDecoderConfig,
  tensors: Map<string, WeightTensor>,
  sourceIds: readonly number[],
  targetIds: readonly number[],
  valueScale: ReferenceValueScale = () => 1,
): Float64Array[] {
  const { hiddenSize: d, numHeads: heads, layerNormEps: eps } = config;
  const split = (v: Vector, parts: number) =>
    Array.from({ length: parts }, (_, p) => v.slice(p * d, (p + 1) * d));

  let x = embed(tensors, "encoder/embeddings/weight", sourceIds, d);
  for (let layer = 0; layer < config.encoderLayers; layer++) {
    const scope = `encoder/layer_${layer}`;
    const qkv = x.map((v) =>
      split(
        affine(
          tensors,
          `${scope}/self_attention/linear_0`,
          layerNorm(tensors, `${scope}/self_attention/layer_norm`, v, eps),
        ),
        3,
      ),
    );
    const attended = multiHead(
      qkv.map((p) => p[0]!),
      qkv.map((p) => p[1]!),
      qkv.map((p) => p[2]!),
      heads,
      false,
      (head, key) => valueScale("encoder", layer, head, key),
    );
    x = x.map((v, t) => add(v, affine(tensors, `${scope}/self_attention/linear_1`, attended[t]!)));
    x = x.map((v) => ffn(tensors, `${scope}/ffn`, v, eps));
  }
  const memory = x.map((v) => layerNorm(tensors, "encoder/layer_norm", v, eps));

  let y = embed(tensors, "decoder/embeddings/weight", targetIds, d);
  for (let layer = 0; layer < config.decoderLayers; layer++) {
    const scope = `decoder/layer_${layer}`;
    const qkv = y.map((v) =>
      split(
        affine(
          tensors,
          `${scope}/self_attention/linear_0`,
          layerNorm(tensors, `${scope}/self_attention/layer_norm`, v, eps),
        ),
        3,
      ),
    );
    const selfAttended = multiHead(
      qkv.map((p) => p[0]!),
      qkv.map((p) => p[1]!),
      qkv.map((p) => p[2]!),
      heads,
      true,
      (head, key) => valueScale("decoder", layer, head, key),
    );
    y = y.map((v, t) => add(v, affine(tensors, `${scope}/self_attention/linear_1`, selfAttended[t]!)));
    const queries = y.map((v) =>
      affine(
        tensors,
        `${scope}/attention/linear_0`,
        layerNorm(tensors, `${scope}/attention/layer_norm`, v, eps),
      ),
    );
    const kv = memory.map((m) => split(affine(tensors, `${scope}/attention/linear_1`, m), 2));
    const crossAttended = multiHead(
      queries,
      kv.map((p) => p[0]!),
      kv.map((p) => p[1]!),
      heads,
      false,
      (head, key) => valueScale("cross", layer, head, key),
    );
    y = y.map((v, t) => add(v, affine(tensors, `${scope}/attention/linear_2`, crossAttended[t]!)));
    y = y.map((v) => ffn(tensors, `${scope}/ffn`, v, eps));
  }
  return y.map((v) =>
    affine(tensors, "decoder/projection", layerNorm(tensors, "decoder/layer_norm", v, eps)),
  );
}

/** log-softmax of one row of logits. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i]! - max);
  const logTotal = Math.log(total) + max;
  return Float64Array.from(logits, (value) => value - logTotal);
}
