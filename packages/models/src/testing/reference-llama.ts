import { TokenscopeError } from "@tokenscope/core";
import type { DecoderWeights } from "../weights/types.ts";

/**
 * An independent reference of the Llama forward pass, in plain float64 loops, written straight
 * from the architecture (RMSNorm, rotary embeddings, grouped-query causal attention, SwiGLU,
 * optional tied output). It shares no code with any graph builder on purpose: tests compare the
 * graphs against it. Slow (no caching, no batching): for tiny models only.
 */

/** Logits for every position of one sequence, row-major [seq, vocab]. */
export interface ReferenceLogits {
  dims: [number, number];
  data: Float64Array;
}

/** A weight matrix [out, in] or vector, read as float64 on use. */
interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

function tensor(weights: DecoderWeights, name: string): Matrix {
  const found = weights.tensors.get(name);
  if (!found) {
    throw new TokenscopeError("INVALID_INPUT", `reference-llama: the weights have no tensor ${name}.`, {
      hint: "Pass complete weights, as a loader returns them.",
    });
  }
  const rows = found.dims.length === 1 ? 1 : found.dims[0]!;
  const cols = found.dims[found.dims.length - 1]!;
  return { rows, cols, data: found.data };
}

/** y = W x for W [out, in]. */
function matVec(w: Matrix, x: Float64Array): Float64Array {
  if (x.length !== w.cols) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `reference-llama: matrix [${w.rows}, ${w.cols}] times ${x.length}.`,
      {
        hint: "The tensor dims do not match the config.",
      },
    );
  }
  const y = new Float64Array(w.rows);
  for (let r = 0; r < w.rows; r++) {
    let sum = 0;
    const base = r * w.cols;
    for (let c = 0; c < w.cols; c++) sum += w.data[base + c]! * x[c]!;
    y[r] = sum;
  }
  return y;
}

function rmsNorm(x: Float64Array, weight: Matrix, eps: number): Float64Array {
  let sumSquares = 0;
  for (const v of x) sumSquares += v * v;
  const scale = 1 / Math.sqrt(sumSquares / x.length + eps);
  return x.map((v, i) => v * scale * weight.data[i]!);
}

/**
 * Rotates every head of `x` (numHeads heads of headDim values) for position `pos`, in place.
 * Interleaved pairs (2i, 2i+1) and half pairs (i, i + headDim/2) share frequency
 * theta^(-2i/headDim) / factors[i] (factors: LongRoPE's, else all 1); cos and sin are multiplied by `scale`.
 */
function applyRope(
  x: Float64Array,
  numHeads: number,
  headDim: number,
  pos: number,
  theta: number,
  style: "interleaved" | "half",
  factors?: readonly number[],
  scale = 1,
): void {
  const half = headDim / 2;
  for (let h = 0; h < numHeads; h++) {
    const base = h * headDim;
    for (let i = 0; i < half; i++) {
      const angle = (pos * theta ** ((-2 * i) / headDim)) / (factors?.[i] ?? 1);
      const cos = Math.cos(angle) * scale;
      const sin = Math.sin(angle) * scale;
      const a = style === "interleaved" ? base + 2 * i : base + i;
      const b = style === "interleaved" ? base + 2 * i + 1 : base + i + half;
      const x0 = x[a]!;
      const x1 = x[b]!;
      x[a] = x0 * cos - x1 * sin;
      x[b] = x0 * sin + x1 * cos;
    }
  }
}

const silu = (v: number): number => v / (1 + Math.exp(-v));

/** Reference logits [seq, vocab] at every position of `ids` (no batching, no padding). */
export function referenceForward(weights: DecoderWeights, ids: readonly number[]): ReferenceLogits {
  const c = weights.config;
  const layerName = (layer: number, name: string) => `model.layers.${layer}.${name}.weight`;
  const embed = tensor(weights, "model.embed_tokens.weight");
  const seq = ids.length;
  // The residual stream of every position: attention at position t reads keys and values of 0..t.
  const residual = ids.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `reference-llama: token id ${id} is not in [0, ${c.vocabSize}).`,
        {
          hint: "Pass ids the model's tokenizer produced.",
        },
      );
    }
    return Float64Array.from(embed.data.subarray(id * c.hiddenSize, (id + 1) * c.hiddenSize));
  });
  const group = c.numHeads / c.numKeyValueHeads;
  const scale = 1 / Math.sqrt(c.headDim);
  // LongRoPE (Phi-3): the long factors once the sequence is longer than the original context, else the short.
  const longRope = c.ropeScaling?.type === "longrope" ? c.ropeScaling : undefined;
  const factors =
    longRope && (seq > longRope.originalMaxPositionEmbeddings ? longRope.longFactor : longRope.shortFactor);
  const ropeScale = longRope?.attentionFactor ?? 1;
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => tensor(weights, layerName(layer, name));
    const queries: Float64Array[] = [];
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    for (let t = 0; t < seq; t++) {
      const x = rmsNorm(residual[t]!, w("input_layernorm"), c.rmsNormEps);
      const q = matVec(w("self_attn.q_proj"), x);
      const k = matVec(w("self_attn.k_proj"), x);
      applyRope(q, c.numHeads, c.headDim, t, c.ropeTheta, c.ropeStyle, factors, ropeScale);
      applyRope(k, c.numKeyValueHeads, c.headDim, t, c.ropeTheta, c.ropeStyle, factors, ropeScale);
      queries.push(q);
      keys.push(k);
      values.push(matVec(w("self_attn.v_proj"), x));
    }
    for (let t = 0; t < seq; t++) {
      const attended = new Float64Array(c.numHeads * c.headDim);
      for (let h = 0; h < c.numHeads; h++) {
        const kvBase = Math.floor(h / group) * c.headDim;
        const qBase = h * c.headDim;
        const scores = new Float64Array(t + 1);
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let d = 0; d < c.headDim; d++) dot += queries[t]![qBase + d]! * keys[s]![kvBase + d]!;
          scores[s] = dot * scale;
        }
        const max = Math.max(...scores);
        let total = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s]! - max);
          total += scores[s]!;
        }
        for (let s = 0; s <= t; s++) {
          const p = scores[s]! / total;
          for (let d = 0; d < c.headDim; d++) attended[qBase + d]! += p * values[s]![kvBase + d]!;
        }
      }
      const out = matVec(w("self_attn.o_proj"), attended);
      for (let i = 0; i < c.hiddenSize; i++) residual[t]![i]! += out[i]!;
    }
    for (let t = 0; t < seq; t++) {
      const x = rmsNorm(residual[t]!, w("post_attention_layernorm"), c.rmsNormEps);
      const gate = matVec(w("mlp.gate_proj"), x);
      const up = matVec(w("mlp.up_proj"), x);
      const down = matVec(
        w("mlp.down_proj"),
        gate.map((g, i) => silu(g) * up[i]!),
      );
      for (let i = 0; i < c.hiddenSize; i++) residual[t]![i]! += down[i]!;
    }
  }
  const finalNorm = tensor(weights, "model.norm.weight");
  const output = c.tieWordEmbeddings ? embed : tensor(weights, "lm_head.weight");
  const logits = new Float64Array(seq * c.vocabSize);
  for (let t = 0; t < seq; t++) {
    logits.set(matVec(output, rmsNorm(residual[t]!, finalNorm, c.rmsNormEps)), t * c.vocabSize);
  }
  return { dims: [seq, c.vocabSize], data: logits };
}

/**
 * Greedy (argmax, lowest id on ties) decoding of `newTokens` tokens after `ids`, recomputing the
 * whole sequence each step. Returns only the new ids.
 */
export function referenceGreedy(
  weights: DecoderWeights,
  ids: readonly number[],
  newTokens: number,
): number[] {
  const sequence = [...ids];
  const vocab = weights.config.vocabSize;
  for (let step = 0; step < newTokens; step++) {
    const { data } = referenceForward(weights, sequence);
    const last = data.subarray((sequence.length - 1) * vocab, sequence.length * vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v]! > last[best]!) best = v;
    sequence.push(best);
  }
  return sequence.slice(ids.length);
}
