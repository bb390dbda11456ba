import { TokenscopeError } from "@tokenscope/core";
import type { DecoderActivation, DecoderWeights } from "../weights/types.ts";

/*
 * Tiny float64 helpers shared by the plain-loop reference forward passes (reference-gpt2,
 * reference-neox, reference-qwen) and nothing else: the graph builders must not use them, so that
 * a test comparing a graph with a reference compares two independent implementations.
 */

/** A stored tensor read as a row-major matrix (a vector is one row). */
export interface RefMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** The tensor `name`, or an INVALID_INPUT error naming it. */
export function refTensor(weights: DecoderWeights, name: string): RefMatrix {
  const found = weights.tensors.get(name);
  if (!found) {
    throw new TokenscopeError("INVALID_INPUT", `reference: the weights have no tensor ${name}.`, {
      hint: "Pass complete weights, as a loader or randomWeights returns them.",
    });
  }
  return {
    rows: found.dims.length === 1 ? 1 : found.dims[0]!,
    cols: found.dims[found.dims.length - 1]!,
    data: found.data,
  };
}

/** Row `row` of a table (an embedding lookup). */
export function refRow(table: RefMatrix, row: number): Float64Array {
  if (!Number.isInteger(row) || row < 0 || row >= table.rows) {
    throw new TokenscopeError("INVALID_INPUT", `reference: row ${row} is not in [0, ${table.rows}).`, {
      hint: "Pass token ids below the vocabulary size and positions below the context length.",
    });
  }
  return Float64Array.from(table.data.subarray(row * table.cols, (row + 1) * table.cols));
}

/** `W x (+ b)` for W [out, in] (nn.Linear). */
export function refLinear(w: RefMatrix, x: Float64Array, bias?: RefMatrix): Float64Array {
  const y = new Float64Array(w.rows);
  for (let r = 0; r < w.rows; r++) {
    let sum = bias === undefined ? 0 : bias.data[r]!;
    for (let c = 0; c < w.cols; c++) sum += w.data[r * w.cols + c]! * x[c]!;
    y[r] = sum;
  }
  return y;
}

/** `x W (+ b)` for W [in, out] (GPT-2's Conv1D). */
export function refConv1d(w: RefMatrix, x: Float64Array, bias?: RefMatrix): Float64Array {
  const y = new Float64Array(w.cols);
  for (let c = 0; c < w.cols; c++) {
    let sum = bias === undefined ? 0 : bias.data[c]!;
    for (let r = 0; r < w.rows; r++) sum += x[r]! * w.data[r * w.cols + c]!;
    y[c] = sum;
  }
  return y;
}

/** RMSNorm of `x` (or of each `x.length / weight.cols` chunk, for per-head norms). */
export function refRmsNorm(x: Float64Array, weight: RefMatrix, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += weight.cols) {
    let squares = 0;
    for (let i = 0; i < weight.cols; i++) squares += x[start + i]! ** 2;
    const scale = 1 / Math.sqrt(squares / weight.cols + eps);
    for (let i = 0; i < weight.cols; i++) out[start + i] = x[start + i]! * scale * weight.data[i]!;
  }
  return out;
}

/** LayerNorm of `x` with scale and bias. */
export function refLayerNorm(x: Float64Array, weight: RefMatrix, bias: RefMatrix, eps: number): Float64Array {
  const mean = x.reduce((sum, v) => sum + v, 0) / x.length;
  const variance = x.reduce((sum, v) => sum + (v - mean) ** 2, 0) / x.length;
  const scale = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * scale * weight.data[i]! + bias.data[i]!);
}

/** erf in float64: its Maclaurin series below 3, the continued fraction of erfc above. */
export function refErf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  let fraction = a;
  for (let n = 60; n >= 1; n--) fraction = a + n / 2 / fraction;
  return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction));
}

/** The feed-forward nonlinearity of one value. */
export function refActivation(kind: DecoderActivation, v: number): number {
  switch (kind) {
    case "silu":
      return v / (1 + Math.exp(-v));
    case "relu":
      return Math.max(0, v);
    case "gelu":
      return 0.5 * v * (1 + refErf(v / Math.SQRT2));
    case "gelu_tanh":
      return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  }
}

/**
 * Rotates, in place, the first `rotaryDim` dimensions of each of `heads` heads of `x` for
 * position `pos`, pairing (i, i + rotaryDim/2) (Hugging Face's rotate_half) with frequency
 * theta^(-2i/rotaryDim).
 */
export function refRotateHalf(
  x: Float64Array,
  heads: number,
  headDim: number,
  rotaryDim: number,
  pos: number,
  theta: number,
): void {
  const half = rotaryDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * theta ** ((-2 * i) / rotaryDim);
      const a = h * headDim + i;
      const b = a + half;
      const [x0, x1] = [x[a]!, x[b]!];
      x[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
      x[b] = x1 * Math.cos(angle) + x0 * Math.sin(angle);
    }
  }
}

/**
 * Causal softmax attention of one sequence: per position t and query head h, the softmax over
 * s ≤ t of q_t·k_s / sqrt(headDim) weighting v_s, where query head h reads key/value head
 * floor(h / (heads / kvHeads)). Returns the concatenated heads per position.
 */
export function refCausalAttention(
  queries: readonly Float64Array[],
  keys: readonly Float64Array[],
  values: readonly Float64Array[],
  heads: number,
  kvHeads: number,
  headDim: number,
): Float64Array[] {
  const group = heads / kvHeads;
  return queries.map((query, t) => {
    const out = new Float64Array(heads * headDim);
    for (let h = 0; h < heads; h++) {
      const kv = Math.floor(h / group) * headDim;
      const scores = Array.from({ length: t + 1 }, (_, s) => {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += query[h * headDim + d]! * keys[s]![kv + d]!;
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const exps = scores.map((score) => Math.exp(score - max));
      const total = exps.reduce((sum, e) => sum + e, 0);
      for (let s = 0; s <= t; s++) {
        for (let d = 0; d < headDim; d++) out[h * headDim + d]! += (exps[s]! / total) * values[s]![kv + d]!;
      }
    }
    return out;
  });
}

/** `a += b`, element by element. */
export function refAddInPlace(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}
