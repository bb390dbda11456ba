import type { DecoderWeights } from "../weights/types.ts";
import type { ReferenceLogits } from "./reference-llama.ts";
import {
  refActivation,
  refAddInPlace,
  refCausalAttention,
  refConv1d,
  refLayerNorm,
  refRow,
  refTensor,
} from "./reference-math.ts";

/**
 * An independent float64 reference of GPT-2's forward pass for one unpadded sequence, written from
 * the architecture (learned positions, pre-LayerNorm, fused Conv1D q/k/v, GELU with the tanh
 * approximation, output tied to the token embedding unless `lm_head.weight` is given). Shares no
 * code with the graph builders. Slow: for tiny models.
 */
export function referenceGpt2Forward(weights: DecoderWeights, ids: readonly number[]): ReferenceLogits {
  const c = weights.config;
  const eps = c.layerNormEps ?? 1e-5;
  const get = (name: string) => refTensor(weights, name);
  const layerTensor = (layer: number, name: string) => get(`transformer.h.${layer}.${name}`);
  const wte = get("transformer.wte.weight");
  const wpe = get("transformer.wpe.weight");
  const residual = ids.map((id, position) => {
    const row = refRow(wte, id);
    refAddInPlace(row, refRow(wpe, position));
    return row;
  });
  const width = c.numHeads * c.headDim;
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => layerTensor(layer, name);
    const fused = residual.map((h) =>
      refConv1d(
        w("attn.c_attn.weight"),
        refLayerNorm(h, w("ln_1.weight"), w("ln_1.bias"), eps),
        w("attn.c_attn.bias"),
      ),
    );
    const attended = refCausalAttention(
      fused.map((qkv) => qkv.subarray(0, width)),
      fused.map((qkv) => qkv.subarray(width, 2 * width)),
      fused.map((qkv) => qkv.subarray(2 * width, 3 * width)),
      c.numHeads,
      c.numHeads,
      c.headDim,
    );
    residual.forEach((h, t) => {
      refAddInPlace(h, refConv1d(w("attn.c_proj.weight"), attended[t]!, w("attn.c_proj.bias")));
    });
    for (const h of residual) {
      const up = refConv1d(
        w("mlp.c_fc.weight"),
        refLayerNorm(h, w("ln_2.weight"), w("ln_2.bias"), eps),
        w("mlp.c_fc.bias"),
      );
      const act = up.map((v) => refActivation(c.activation ?? "gelu_tanh", v));
      refAddInPlace(h, refConv1d(w("mlp.c_proj.weight"), act, w("mlp.c_proj.bias")));
    }
  }
  const output = c.tieWordEmbeddings ? wte : get("lm_head.weight");
  const logits = new Float64Array(ids.length * c.vocabSize);
  residual.forEach((h, t) => {
    const x = refLayerNorm(h, get("transformer.ln_f.weight"), get("transformer.ln_f.bias"), eps);
    for (let v = 0; v < c.vocabSize; v++) {
      let sum = 0;
      for (let i = 0; i < c.hiddenSize; i++) sum += output.data[v * c.hiddenSize + i]! * x[i]!;
      logits[t * c.vocabSize + v] = sum;
    }
  });
  return { dims: [ids.length, c.vocabSize], data: logits };
}
