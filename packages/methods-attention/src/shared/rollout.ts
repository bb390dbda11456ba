import type { YieldPoint } from "@tokenscope/core";
import { type AttentionMaps, attentionAt } from "./attention-maps.ts";

/**
 * Attention rollout (Abnar & Zuidema 2020) over the tapped layers of `maps`,
 * in order: each layer's head-mean attention Ā becomes
 * Â = attentionWeight·Ā + (1 − attentionWeight)·I with rows renormalised to
 * sum to 1 (the residual connection), and the rollout is Â_L ⋯ Â_1, a
 * [length, length] row-stochastic matrix (row-major, float64). The products cost
 * length³ per layer (seconds at a few thousand tokens): `point` lets the event
 * loop in between rows.
 */
export async function attentionRollout(
  maps: AttentionMaps,
  attentionWeight: number,
  point?: YieldPoint,
): Promise<Float64Array> {
  const n = maps.length;
  let rollout = new Float64Array(n * n);
  for (let i = 0; i < n; i++) rollout[i * n + i] = 1;
  const layer = new Float64Array(n * n);
  for (let l = 0; l < maps.layers.length; l++) {
    for (let query = 0; query < n; query++) {
      let rowSum = 0;
      for (let key = 0; key < n; key++) {
        let mean = 0;
        for (let head = 0; head < maps.heads; head++) mean += attentionAt(maps, l, head, query, key);
        const value = attentionWeight * (mean / maps.heads) + (query === key ? 1 - attentionWeight : 0);
        layer[query * n + key] = value;
        rowSum += value;
      }
      for (let key = 0; key < n; key++) layer[query * n + key]! /= rowSum;
    }
    const product = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      if (point?.due()) await point.pause();
      for (let k = 0; k < n; k++) {
        const a = layer[i * n + k]!;
        if (a === 0) continue;
        for (let j = 0; j < n; j++) product[i * n + j]! += a * rollout[k * n + j]!;
      }
    }
    rollout = product;
  }
  return rollout;
}
