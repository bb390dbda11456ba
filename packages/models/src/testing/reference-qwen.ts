import type { DecoderWeights } from "../weights/types.ts";
import type { ReferenceLogits } from "./reference-llama.ts";
import {
  refActivation,
  refAddInPlace,
  refCausalAttention,
  refLinear,
  refRmsNorm,
  refRotateHalf,
  refRow,
  refTensor,
} from "./reference-math.ts";

/**
 * An independent float64 reference of Qwen2 and Qwen3 forward passes for one unpadded sequence,
 * by `config.architecture`: RMSNorm, rotate_half rotary, grouped-query attention, SwiGLU; Qwen2
 * adds biases to q, k and v; Qwen3 normalises every query and key head (q_norm, k_norm) before
 * rotary. Output tied to the embedding unless `lm_head.weight` is given. Shares no code with the
 * graph builders. Slow: for tiny models.
 */
export function referenceQwenForward(weights: DecoderWeights, ids: readonly number[]): ReferenceLogits {
  const c = weights.config;
  const qwen3 = c.architecture === "qwen3";
  const d = c.headDim;
  const get = (name: string) => refTensor(weights, name);
  const embed = get("model.embed_tokens.weight");
  const residual = ids.map((id) => refRow(embed, id));
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => get(`model.layers.${layer}.${name}`);
    const project = (name: string, x: Float64Array) =>
      refLinear(w(`self_attn.${name}.weight`), x, qwen3 ? undefined : w(`self_attn.${name}.bias`));
    const queries: Float64Array[] = [];
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    residual.forEach((h, t) => {
      const x = refRmsNorm(h, w("input_layernorm.weight"), c.rmsNormEps);
      let q = project("q_proj", x);
      let k = project("k_proj", x);
      if (qwen3) {
        q = refRmsNorm(q, w("self_attn.q_norm.weight"), c.rmsNormEps);
        k = refRmsNorm(k, w("self_attn.k_norm.weight"), c.rmsNormEps);
      }
      refRotateHalf(q, c.numHeads, d, d, t, c.ropeTheta);
      refRotateHalf(k, c.numKeyValueHeads, d, d, t, c.ropeTheta);
      queries.push(q);
      keys.push(k);
      values.push(project("v_proj", x));
    });
    const attended = refCausalAttention(queries, keys, values, c.numHeads, c.numKeyValueHeads, d);
    residual.forEach((h, t) => {
      refAddInPlace(h, refLinear(w("self_attn.o_proj.weight"), attended[t]!));
    });
    for (const h of residual) {
      const x = refRmsNorm(h, w("post_attention_layernorm.weight"), c.rmsNormEps);
      const gate = refLinear(w("mlp.gate_proj.weight"), x);
      const up = refLinear(w("mlp.up_proj.weight"), x);
      const act = gate.map((g, i) => refActivation("silu", g) * up[i]!);
      refAddInPlace(h, refLinear(w("mlp.down_proj.weight"), act));
    }
  }
  const output = c.tieWordEmbeddings ? embed : get("lm_head.weight");
  const logits = new Float64Array(ids.length * c.vocabSize);
  residual.forEach((h, t) => {
    logits.set(refLinear(output, refRmsNorm(h, get("model.norm.weight"), c.rmsNormEps)), t * c.vocabSize);
  });
  return { dims: [ids.length, c.vocabSize], data: logits };
}
