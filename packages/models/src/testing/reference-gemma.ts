import type { DecoderWeights } from "../weights/types.ts";
import type { ReferenceLogits } from "./reference-llama.ts";
import {
  type RefMatrix,
  refActivation,
  refAddInPlace,
  refLinear,
  refRotateHalf,
  refRow,
  refTensor,
} from "./reference-math.ts";

/** Gemma's RMSNorm: `x · (mean(x²) + eps)^-1/2 · (1 + weight)`. */
function gemmaRmsNorm(x: Float64Array, weight: RefMatrix, eps: number): Float64Array {
  let squares = 0;
  for (const v of x) squares += v * v;
  const inverseRms = 1 / Math.sqrt(squares / x.length + eps);
  return x.map((v, i) => v * inverseRms * (1 + weight.data[i]!));
}

/** `cap · tanh(x / cap)`, or `x` without a cap. */
function capped(x: number, cap: number | undefined): number {
  return cap === undefined ? x : cap * Math.tanh(x / cap);
}

/**
 * An independent float64 reference of Gemma and Gemma 2 forward passes for one unpadded sequence,
 * by `config.architecture`, written from transformers' modeling_gemma.py and modeling_gemma2.py:
 * token rows × sqrt(hidden); RMSNorms scaling by `1 + weight`; rotate_half rotary; grouped-query
 * attention with scores `q·k / sqrt(headDim)`; GeGLU `down(gelu_tanh(gate x) · up x)`; output
 * tied to the embedding unless `lm_head.weight` is given. Gemma 2 adds
 * `post_attention_layernorm` on the attention output, `pre_feedforward_layernorm` and
 * `post_feedforward_layernorm` around the MLP, scores `q·k · queryPreAttentionScalar^-1/2`
 * soft-capped by `attentionLogitSoftcap`, the sliding window on even layers only, and logits
 * soft-capped by `finalLogitSoftcap`. Gemma 3 (gemma3_text, modeling_gemma3.py) has Gemma 2's four
 * norms, RMSNorms (`1 + weight`) over each query and key head before rotary, the window on every
 * layer but each `slidingWindowPattern`-th, local layers rotating with base `ropeLocalTheta` and
 * global ones with `ropeTheta` (positions divided by a linear `ropeScaling` factor), and caps only
 * where the config sets them. Shares no code with the graph builders. Slow: for tiny models.
 */
export function referenceGemmaForward(weights: DecoderWeights, ids: readonly number[]): ReferenceLogits {
  const c = weights.config;
  const gemma3 = c.architecture === "gemma3_text";
  // Gemma 3 keeps everything Gemma 2 added.
  const gemma2 = c.architecture === "gemma2" || gemma3;
  const d = c.headDim;
  const group = c.numHeads / c.numKeyValueHeads;
  const get = (name: string) => refTensor(weights, name);
  const embed = get("model.embed_tokens.weight");
  const normalizer = Math.sqrt(c.hiddenSize);
  const residual = ids.map((id) => refRow(embed, id).map((v) => v * normalizer));
  const scale =
    gemma2 && c.queryPreAttentionScalar !== undefined ? c.queryPreAttentionScalar ** -0.5 : d ** -0.5;
  const scoreCap = gemma2 ? c.attentionLogitSoftcap : undefined;
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => get(`model.layers.${layer}.${name}.weight`);
    // transformers: Gemma 2 windows the layers where not bool(layer_idx % 2); Gemma 3 those where
    // bool((layer_idx + 1) % sliding_window_pattern); Gemma has no window.
    const sliding = gemma3
      ? c.slidingWindowPattern === undefined || (layer + 1) % c.slidingWindowPattern !== 0
      : gemma2 && layer % 2 === 0;
    const window = sliding ? c.slidingWindow : undefined;
    const theta = gemma3 && sliding && c.ropeLocalTheta !== undefined ? c.ropeLocalTheta : c.ropeTheta;
    // Linear scaling (the global layers of Gemma 3 4B and up): positions divided by the factor.
    const linear = !(gemma3 && sliding) && c.ropeScaling?.type === "linear" ? c.ropeScaling.factor : 1;
    const headNorm = (x: Float64Array, heads: number, name: string) => {
      for (let head = 0; head < heads; head++) {
        x.set(gemmaRmsNorm(x.subarray(head * d, (head + 1) * d), w(name), c.rmsNormEps), head * d);
      }
    };
    const queries: Float64Array[] = [];
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    residual.forEach((h, t) => {
      const x = gemmaRmsNorm(h, w("input_layernorm"), c.rmsNormEps);
      const q = refLinear(w("self_attn.q_proj"), x);
      const k = refLinear(w("self_attn.k_proj"), x);
      if (gemma3) {
        headNorm(q, c.numHeads, "self_attn.q_norm");
        headNorm(k, c.numKeyValueHeads, "self_attn.k_norm");
      }
      refRotateHalf(q, c.numHeads, d, d, t / linear, theta);
      refRotateHalf(k, c.numKeyValueHeads, d, d, t / linear, theta);
      queries.push(q);
      keys.push(k);
      values.push(refLinear(w("self_attn.v_proj"), x));
    });
    residual.forEach((h, t) => {
      const attended = new Float64Array(c.numHeads * d);
      const first = window === undefined ? 0 : Math.max(0, t - window + 1);
      for (let head = 0; head < c.numHeads; head++) {
        const kv = Math.floor(head / group) * d;
        const scores: number[] = [];
        for (let s = first; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += queries[t]![head * d + i]! * keys[s]![kv + i]!;
          scores.push(capped(dot * scale, scoreCap));
        }
        const max = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((sum, e) => sum + e, 0);
        for (let s = first; s <= t; s++) {
          const p = exps[s - first]! / total;
          for (let i = 0; i < d; i++) attended[head * d + i]! += p * values[s]![kv + i]!;
        }
      }
      const out = refLinear(w("self_attn.o_proj"), attended);
      refAddInPlace(h, gemma2 ? gemmaRmsNorm(out, w("post_attention_layernorm"), c.rmsNormEps) : out);
    });
    for (const h of residual) {
      const norm = gemma2 ? "pre_feedforward_layernorm" : "post_attention_layernorm";
      const x = gemmaRmsNorm(h, w(norm), c.rmsNormEps);
      const gate = refLinear(w("mlp.gate_proj"), x);
      const up = refLinear(w("mlp.up_proj"), x);
      const down = refLinear(
        w("mlp.down_proj"),
        gate.map((g, i) => refActivation(c.activation ?? "gelu_tanh", g) * up[i]!),
      );
      refAddInPlace(h, gemma2 ? gemmaRmsNorm(down, w("post_feedforward_layernorm"), c.rmsNormEps) : down);
    }
  }
  const output = c.tieWordEmbeddings ? embed : get("lm_head.weight");
  const logitCap = gemma2 ? c.finalLogitSoftcap : undefined;
  const logits = new Float64Array(ids.length * c.vocabSize);
  residual.forEach((h, t) => {
    const row = refLinear(output, gemmaRmsNorm(h, get("model.norm.weight"), c.rmsNormEps));
    logits.set(
      row.map((z) => capped(z, logitCap)),
      t * c.vocabSize,
    );
  });
  return { dims: [ids.length, c.vocabSize], data: logits };
}
