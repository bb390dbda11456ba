import { TokenscopeError } from "@tokenscope/core";
import type { WeightTensor } from "../../weights/types.ts";
import type { BartConfig } from "./bart-config.ts";

/** A LayerNorm's or a linear layer's tensors (`.weight`, `.bias`); linear matrices are [out, in]. */
export interface BartParamNames {
  weight: string;
  bias: string;
}

export type BartStack = "encoder" | "decoder";

const params = (scope: string): BartParamNames => ({ weight: `${scope}.weight`, bias: `${scope}.bias` });

/** The four projections of one attention (`q_proj`, `k_proj`, `v_proj`, `out_proj`). */
export interface BartAttentionNames {
  query: BartParamNames;
  key: BartParamNames;
  value: BartParamNames;
  out: BartParamNames;
  /** The LayerNorm of this sublayer (after it in post-norm, before it in pre-norm). */
  norm: BartParamNames;
}

function attentionNames(layerScope: string, attention: "self_attn" | "encoder_attn"): BartAttentionNames {
  const scope = `${layerScope}.${attention}`;
  return {
    query: params(`${scope}.q_proj`),
    key: params(`${scope}.k_proj`),
    value: params(`${scope}.v_proj`),
    out: params(`${scope}.out_proj`),
    norm: params(`${scope}_layer_norm`),
  };
}

const layerScope = (stack: BartStack, layer: number) => `model.${stack}.layers.${layer}`;

/** Hugging Face tensor names of the BART family (`modeling_bart`, `modeling_mbart`, `modeling_marian`). */
export const bartNames = {
  shared: "model.shared.weight",
  tokenEmbedding: (stack: BartStack) => `model.${stack}.embed_tokens.weight`,
  /** Learned positions (BART, mBART) [maxPositions + 2, hidden]. */
  positionEmbedding: (stack: BartStack) => `model.${stack}.embed_positions.weight`,
  layernormEmbedding: (stack: BartStack) => params(`model.${stack}.layernorm_embedding`),
  /** mBART's norm after the last layer of each stack. */
  finalNorm: (stack: BartStack) => params(`model.${stack}.layer_norm`),
  selfAttention: (stack: BartStack, layer: number) => attentionNames(layerScope(stack, layer), "self_attn"),
  crossAttention: (layer: number) => attentionNames(layerScope("decoder", layer), "encoder_attn"),
  ffn: (stack: BartStack, layer: number) => ({
    up: params(`${layerScope(stack, layer)}.fc1`),
    down: params(`${layerScope(stack, layer)}.fc2`),
    norm: params(`${layerScope(stack, layer)}.final_layer_norm`),
  }),
  lmHead: "lm_head.weight",
  finalLogitsBias: "final_logits_bias",
} as const;

/** Hugging Face's learned positions start at row 2 (`BartLearnedPositionalEmbedding.offset`). */
export const BART_POSITION_OFFSET = 2;

function firstPresent(
  tensors: Map<string, WeightTensor>,
  candidates: readonly string[],
  role: string,
): string {
  const found = candidates.find((name) => tensors.has(name));
  if (found === undefined) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `The weights have no ${role} (looked for ${candidates.join(", ")}).`,
      {
        hint: "Pass every tensor of the checkpoint; tied tables may be stored under any one of their names.",
        details: { role, candidates },
      },
    );
  }
  return found;
}

/**
 * The token table `stack` reads. Safetensors checkpoints store tied tensors once, under whichever
 * name the writer kept, so the stack's own name is tried first, then the shared table (and, for a
 * tied model, the output head).
 */
export function bartTokenTableName(
  tensors: Map<string, WeightTensor>,
  config: BartConfig,
  stack: BartStack,
): string {
  const tied = config.tieWordEmbeddings ? [bartNames.lmHead] : [];
  return firstPresent(
    tensors,
    [bartNames.tokenEmbedding(stack), bartNames.shared, ...tied],
    `${stack} token embedding`,
  );
}

/** The output head's [vocab, hidden] matrix: `lm_head.weight`, or the shared table when tied. */
export function bartOutputMatrixName(tensors: Map<string, WeightTensor>, config: BartConfig): string {
  const tied = config.tieWordEmbeddings ? [bartNames.shared, bartNames.tokenEmbedding("decoder")] : [];
  return firstPresent(tensors, [bartNames.lmHead, ...tied], "output head");
}

/**
 * Every tensor a model with `config` reads, with its shape (token tables under `model.shared`
 * only, the output head under `lm_head` only when untied); for building test weights.
 */
export function bartTensorDims(config: BartConfig): Map<string, number[]> {
  const { hiddenSize: d, vocabSize: vocab } = config;
  const dims = new Map<string, number[]>([[bartNames.shared, [vocab, d]]]);
  const addParams = (names: BartParamNames, out: number, inputs?: number) => {
    dims.set(names.weight, inputs === undefined ? [out] : [out, inputs]);
    dims.set(names.bias, [out]);
  };
  const addAttention = (names: BartAttentionNames) => {
    for (const projection of [names.query, names.key, names.value, names.out]) addParams(projection, d, d);
    addParams(names.norm, d);
  };
  for (const stack of ["encoder", "decoder"] as const) {
    if (config.positions === "learned") {
      dims.set(bartNames.positionEmbedding(stack), [config.maxPositionEmbeddings + BART_POSITION_OFFSET, d]);
    }
    if (config.layernormEmbedding) addParams(bartNames.layernormEmbedding(stack), d);
    if (config.normPosition === "pre") addParams(bartNames.finalNorm(stack), d);
    const layers = stack === "encoder" ? config.encoderLayers : config.decoderLayers;
    const ffn = stack === "encoder" ? config.encoderFfn : config.decoderFfn;
    for (let layer = 0; layer < layers; layer++) {
      addAttention(bartNames.selfAttention(stack, layer));
      if (stack === "decoder") addAttention(bartNames.crossAttention(layer));
      const f = bartNames.ffn(stack, layer);
      addParams(f.up, ffn, d);
      addParams(f.down, d, ffn);
      addParams(f.norm, d);
    }
  }
  if (!config.tieWordEmbeddings) dims.set(bartNames.lmHead, [vocab, d]);
  if (config.finalLogitsBias) dims.set(bartNames.finalLogitsBias, [1, vocab]);
  return dims;
}
