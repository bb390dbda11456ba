import { OPT_POSITION_OFFSET } from "../weights/names.ts";
import type { DecoderWeights } from "../weights/types.ts";
import type { ReferenceLogits } from "./reference-llama.ts";
import {
  type RefMatrix,
  refActivation,
  refAddInPlace,
  refLayerNorm,
  refLinear,
  refRow,
  refTensor,
} from "./reference-math.ts";

/**
 * transformers' OPT positions (`OPTLearnedPositionalEmbedding`): `cumsum(mask) · mask - 1`, so
 * real tokens count from 0 whatever padding precedes them and padding gets -1; row `p + 2` of the
 * table is read.
 */
export function referenceOptPositions(mask: readonly number[]): number[] {
  let count = 0;
  return mask.map((flag) => {
    count += flag;
    return count * flag - 1;
  });
}

/**
 * Causal attention of one sequence as `OPTAttention` computes it: queries scaled by
 * `headDim^-0.5` before the dot products, keys s ≤ t that are real tokens (`mask[s] = 1`), softmax,
 * weighted sum of the value vectors; the heads concatenated. A padding query sees itself only.
 */
function optAttention(
  queries: readonly Float64Array[],
  keys: readonly Float64Array[],
  values: readonly Float64Array[],
  mask: readonly number[],
  heads: number,
  headDim: number,
): Float64Array[] {
  const scaling = headDim ** -0.5;
  return queries.map((query, t) => {
    const out = new Float64Array(heads * headDim);
    const visible = Array.from({ length: t + 1 }, (_, s) => s).filter((s) => mask[s] === 1 || s === t);
    for (let h = 0; h < heads; h++) {
      const scores = visible.map((s) => {
        let dot = 0;
        for (let d = 0; d < headDim; d++)
          dot += query[h * headDim + d]! * scaling * keys[s]![h * headDim + d]!;
        return dot;
      });
      const max = Math.max(...scores);
      const weights = scores.map((score) => Math.exp(score - max));
      const total = weights.reduce((sum, w) => sum + w, 0);
      visible.forEach((s, i) => {
        for (let d = 0; d < headDim; d++)
          out[h * headDim + d]! += (weights[i]! / total) * values[s]![h * headDim + d]!;
      });
    }
    return out;
  });
}

/**
 * An independent float64 reference of OPT's forward pass (`OPTForCausalLM`, written from
 * transformers' `modeling_opt.py`) for one sequence: token rows plus position rows at
 * `cumsum(mask) - 1 + 2`, blocks with LayerNorm before attention and feed-forward (pre-norm,
 * `layerNormBefore`, default) or after each residual addition (post-norm), biases on every
 * projection, ReLU (or `config.activation`), the final norm with pre-norm only, output tied to the
 * token embedding unless `lm_head.weight` is given, and opt-350m's `project_in` / `project_out` around
 * the blocks when the checkpoint has them. `mask` (default all ones) may pad either side;
 * the logits of padding positions are not meaningful. Shares no code with the graph builders.
 * Slow: for tiny models.
 */
export function referenceOptForward(
  weights: DecoderWeights,
  ids: readonly number[],
  mask: readonly number[] = ids.map(() => 1),
): ReferenceLogits {
  const c = weights.config;
  const eps = c.layerNormEps ?? 1e-5;
  const before = c.layerNormBefore ?? true;
  const get = (name: string) => refTensor(weights, name);
  const tokens = get("model.decoder.embed_tokens.weight");
  const positionTable = get("model.decoder.embed_positions.weight");
  const positions = referenceOptPositions(mask);
  // opt-350m: token rows narrower than the hidden size, widened by project_in (no bias).
  const projected = weights.tensors.has("model.decoder.project_in.weight");
  const residual = ids.map((id, t) => {
    const token = refRow(tokens, id);
    const row = projected ? refLinear(get("model.decoder.project_in.weight"), token) : token;
    refAddInPlace(row, refRow(positionTable, positions[t]! + OPT_POSITION_OFFSET));
    return row;
  });
  for (let layer = 0; layer < c.numLayers; layer++) {
    const w = (name: string) => get(`model.decoder.layers.${layer}.${name}`);
    const norm = (x: Float64Array, prefix: string) =>
      refLayerNorm(x, w(`${prefix}.weight`), w(`${prefix}.bias`), eps);
    const project = (prefix: string, x: Float64Array) =>
      refLinear(w(`${prefix}.weight`), x, w(`${prefix}.bias`));

    const attentionInput = residual.map((h) => (before ? norm(h, "self_attn_layer_norm") : h));
    const attended = optAttention(
      attentionInput.map((x) => project("self_attn.q_proj", x)),
      attentionInput.map((x) => project("self_attn.k_proj", x)),
      attentionInput.map((x) => project("self_attn.v_proj", x)),
      mask,
      c.numHeads,
      c.headDim,
    );
    residual.forEach((h, t) => {
      refAddInPlace(h, project("self_attn.out_proj", attended[t]!));
      if (!before) h.set(norm(h, "self_attn_layer_norm"));
      const up = project("fc1", before ? norm(h, "final_layer_norm") : h);
      const act = up.map((v) => refActivation(c.activation ?? "relu", v));
      refAddInPlace(h, project("fc2", act));
      if (!before) h.set(norm(h, "final_layer_norm"));
    });
  }
  const output: RefMatrix = c.tieWordEmbeddings ? tokens : get("lm_head.weight");
  const logits = new Float64Array(ids.length * c.vocabSize);
  residual.forEach((h, t) => {
    const x = before
      ? refLayerNorm(
          h,
          get("model.decoder.final_layer_norm.weight"),
          get("model.decoder.final_layer_norm.bias"),
          eps,
        )
      : h;
    const narrowed = projected ? refLinear(get("model.decoder.project_out.weight"), x) : x;
    logits.set(refLinear(output, narrowed), t * c.vocabSize);
  });
  return { dims: [ids.length, c.vocabSize], data: logits };
}
