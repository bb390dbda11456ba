import type { DecoderWeights } from "../weights/types.ts";
import type { ReferenceLogits } from "./reference-llama.ts";
import {
  refActivation,
  refAddInPlace,
  refCausalAttention,
  refLayerNorm,
  refLinear,
  refRotateHalf,
  refRow,
  refTensor,
} from "./reference-math.ts";

/**
 * An independent float64 reference of GPT-NeoX's (Pythia's) forward pass for one unpadded sequence:
 * LayerNorm, fused query_key_value whose rows are [q, k, v] per head, rotary on the first
 * `rotaryFraction` (default 0.25) of each head with rotate_half pairs, exact GELU, parallel
 * residual unless `parallelResidual` is false, output `embed_out` unless tied. Shares no code
 * with the graph builders. Slow: for tiny models.
 */
export function referenceNeoxForward(weights: DecoderWeights, ids: readonly number[]): ReferenceLogits {
  const c = weights.config;
  const eps = c.layerNormEps ?? 1e-5;
  const d = c.headDim;
  const rotaryDim = Math.floor(d * (c.rotaryFraction ?? 0.25));
  const get = (name: string) => refTensor(weights, name);
  const embed = get("gpt_neox.embed_in.weight");
  const residual = ids.map((id) => refRow(embed, id));
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => get(`gpt_neox.layers.${layer}.${name}`);
    const norm = (h: Float64Array, which: string) =>
      refLayerNorm(h, w(`${which}.weight`), w(`${which}.bias`), eps);
    const queries: Float64Array[] = [];
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    residual.forEach((h, t) => {
      const fused = refLinear(
        w("attention.query_key_value.weight"),
        norm(h, "input_layernorm"),
        w("attention.query_key_value.bias"),
      );
      const [q, k, v] = [0, 1, 2].map((part) => {
        const out = new Float64Array(c.numHeads * d);
        for (let head = 0; head < c.numHeads; head++) {
          out.set(fused.subarray((3 * head + part) * d, (3 * head + part + 1) * d), head * d);
        }
        return out;
      }) as [Float64Array, Float64Array, Float64Array];
      refRotateHalf(q, c.numHeads, d, rotaryDim, t, c.ropeTheta);
      refRotateHalf(k, c.numHeads, d, rotaryDim, t, c.ropeTheta);
      queries.push(q);
      keys.push(k);
      values.push(v);
    });
    const attended = refCausalAttention(queries, keys, values, c.numHeads, c.numHeads, d);
    const mlp = (h: Float64Array) => {
      const up = refLinear(
        w("mlp.dense_h_to_4h.weight"),
        norm(h, "post_attention_layernorm"),
        w("mlp.dense_h_to_4h.bias"),
      );
      return refLinear(
        w("mlp.dense_4h_to_h.weight"),
        up.map((x) => refActivation(c.activation ?? "gelu", x)),
        w("mlp.dense_4h_to_h.bias"),
      );
    };
    residual.forEach((h, t) => {
      const attentionOut = refLinear(w("attention.dense.weight"), attended[t]!, w("attention.dense.bias"));
      if (c.parallelResidual ?? true) {
        const mlpOut = mlp(h);
        refAddInPlace(h, attentionOut);
        refAddInPlace(h, mlpOut);
      } else {
        refAddInPlace(h, attentionOut);
        refAddInPlace(h, mlp(h));
      }
    });
  }
  const output = c.tieWordEmbeddings ? embed : get("embed_out.weight");
  const logits = new Float64Array(ids.length * c.vocabSize);
  residual.forEach((h, t) => {
    const x = refLayerNorm(
      h,
      get("gpt_neox.final_layer_norm.weight"),
      get("gpt_neox.final_layer_norm.bias"),
      eps,
    );
    logits.set(refLinear(output, x), t * c.vocabSize);
  });
  return { dims: [ids.length, c.vocabSize], data: logits };
}
