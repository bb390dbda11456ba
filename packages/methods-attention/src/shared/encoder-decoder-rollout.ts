import type { YieldPoint } from "@tokenscope/core";
import type { AttentionMaps, EncoderDecoderMaps } from "./attention-maps.ts";
import { attentionRollout } from "./rollout.ts";

/** Rollout of an encoder-decoder, in decoder positions: rows of [target | source] sum to 1. */
export interface EncoderDecoderRollout {
  /** [D, D]: how much decoder position j's state comes from the token read at decoder position k. */
  target: Float64Array;
  /** [D, S]: how much decoder position j's state comes from source token s (through the encoder). */
  source: Float64Array;
}

/** The head mean of map `data` [heads, rows, keys] at (row, key). */
function headMean(
  data: ArrayLike<number>,
  heads: number,
  rows: number,
  keys: number,
  row: number,
  key: number,
) {
  let sum = 0;
  for (let head = 0; head < heads; head++) sum += data[(head * rows + row) * keys + key]!;
  return sum / heads;
}

/** a [n, k] · b [k, m], row-major, float64. */
async function multiply(
  a: Float64Array,
  b: Float64Array,
  n: number,
  k: number,
  m: number,
  point?: YieldPoint,
): Promise<Float64Array> {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    if (point?.due()) await point.pause();
    for (let p = 0; p < k; p++) {
      const value = a[i * k + p]!;
      if (value === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += value * b[p * m + j]!;
    }
  }
  return out;
}

/**
 * Attention rollout (Abnar & Zuidema 2020) through an encoder-decoder, every matrix head-averaged and
 * mixed with the identity for its residual connection as in the decoder-only rollout (`w` the
 * attention's share, rows renormalised). The encoder's rollout R_E [S, S] runs over `encoderLayers`.
 * The decoder tracks where each decoder state comes from, R_tgt [D, D] (start I) and R_src [D, S]
 * (start 0): per decoder layer, its self-attention Ŝ = norm(w·S̄ + (1 − w)·I) mixes decoder states
 * (R_tgt ← Ŝ·R_tgt, R_src ← Ŝ·R_src); then its cross-attention block adds the encoder output in
 * the same proportions (R_tgt ← (1 − w)·R_tgt, R_src ← (1 − w)·R_src + w·C̄). The source share is
 * finally carried back through the encoder: R_src·R_E. Every row of [R_tgt | R_src·R_E] sums to 1.
 */
export async function encoderDecoderRollout(
  maps: AttentionMaps & { encoderDecoder: EncoderDecoderMaps },
  w: number,
  point?: YieldPoint,
): Promise<EncoderDecoderRollout> {
  const split = maps.encoderDecoder;
  const { sourceLength: s, decoderLength: d } = split;
  const heads = maps.heads;
  let target: Float64Array = new Float64Array(d * d);
  for (let j = 0; j < d; j++) target[j * d + j] = 1;
  let source: Float64Array = new Float64Array(d * s);
  const self = new Float64Array(d * d);
  for (let l = 0; l < maps.layers.length; l++) {
    for (let query = 0; query < d; query++) {
      let rowSum = 0;
      for (let key = 0; key < d; key++) {
        const value = w * headMean(split.decoder[l]!, heads, d, d, query, key) + (query === key ? 1 - w : 0);
        self[query * d + key] = value;
        rowSum += value;
      }
      for (let key = 0; key < d; key++) self[query * d + key]! /= rowSum;
    }
    target = await multiply(self, target, d, d, d, point);
    source = await multiply(self, source, d, d, s, point);
    for (let query = 0; query < d; query++) {
      for (let key = 0; key < d; key++) target[query * d + key]! *= 1 - w;
      for (let key = 0; key < s; key++) {
        source[query * s + key] =
          (1 - w) * source[query * s + key]! + w * headMean(split.cross[l]!, heads, d, s, query, key);
      }
    }
  }
  const encoder = await attentionRollout(
    {
      length: s,
      heads,
      layers: split.encoderLayers,
      weights: split.encoder,
    },
    w,
    point,
  );
  return { target, source: await multiply(source, encoder, d, s, s, point) };
}
