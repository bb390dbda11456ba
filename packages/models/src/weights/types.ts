/**
 * How rotary embeddings pair the dimensions of a head. `"interleaved"` rotates pairs (2i, 2i+1)
 * (Meta's original layout, llama2.c, GGUF); `"half"` rotates (i, i + headDim/2) (Hugging Face's
 * `rotate_half`). The two are the same model up to a permutation of the rows of Q and K.
 */
export type RopeStyle = "interleaved" | "half";

/** Feed-forward nonlinearities (Hugging Face `hidden_act`: silu; gelu; gelu_new / gelu_pytorch_tanh; relu). */
export type DecoderActivation = "silu" | "gelu" | "gelu_tanh" | "relu";

/**
 * Rotary frequency scaling (Hugging Face `rope_scaling`). `"linear"` divides every frequency by
 * `factor` (positions interpolated); `"llama3"` is Llama 3.1's: long wavelengths divided by
 * `factor`, short ones kept, a smooth blend between. `"longrope"` is Phi-3's LongRoPE (`"su"` in
 * older configs): frequency i is divided by `shortFactor[i]` while the sequence (the largest
 * position + 1) is at most `originalMaxPositionEmbeddings`, by `longFactor[i]` beyond, and cos and
 * sin are multiplied by `attentionFactor` (resolved from the config when loading).
 */
export type RopeScaling =
  | { type: "linear"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      type: "longrope";
      /** One factor per rotated pair (rotaryDim / 2), used up to the original context. */
      shortFactor: readonly number[];
      /** One factor per rotated pair, used once the sequence is longer than the original context. */
      longFactor: readonly number[];
      originalMaxPositionEmbeddings: number;
      /** Multiplies cos and sin (transformers' `attention_scaling`). */
      attentionFactor: number;
    };

/**
 * Hyper-parameters of a decoder-only transformer. The fields after `eosTokenId` are optional;
 * absent means the family's Hugging Face default. What a family fixes by itself (RMSNorm or
 * LayerNorm, learned or rotary positions, Qwen3's per-head q/k norms) follows from `architecture`.
 * Fields a family does not use (`ropeTheta` for GPT-2, `rmsNormEps` for GPT-2 and GPT-NeoX) must
 * still hold valid values.
 */
export interface DecoderConfig {
  /**
   * Architecture family, as Hugging Face's `model_type`: "llama" (Llama 2/3, SmolLM2, TinyLlama,
   * llama2.c), "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3" (Phi-3, Llama's layout once its
   * fused matrices are split at load), "gpt2", "gpt_neox" (Pythia), "opt".
   */
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  /** Width of the SwiGLU feed-forward layer. */
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads; fewer than `numHeads` means grouped-query attention. */
  numKeyValueHeads: number;
  headDim: number;
  /** Longest sequence the model was trained for. */
  contextLength: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeStyle: RopeStyle;
  /** True when the output matrix is the token embedding (`lm_head.weight` is then absent). */
  tieWordEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
  /** Llama and Mistral: biases on q, k, v and o projections (`attention_bias`). Default false. */
  attentionBias?: boolean;
  /** Llama and Mistral: biases on the gate, up and down projections (`mlp_bias`). Default false. */
  mlpBias?: boolean;
  /** Feed-forward nonlinearity; default silu (Llama, Qwen), gelu_tanh (GPT-2, Gemma), gelu (GPT-NeoX). */
  activation?: DecoderActivation;
  /** Epsilon of LayerNorm families (GPT-2, GPT-NeoX, OPT); default 1e-5. */
  layerNormEps?: number;
  /** GPT-NeoX: attention and MLP read the same input and add to the residual together. Default true. */
  parallelResidual?: boolean;
  /**
   * OPT (`do_layer_norm_before`): LayerNorm before attention and before the feed-forward block, and a
   * final norm before the output (pre-norm: opt-125m, opt-1.3b, ...; default true), or after each
   * residual addition and no final norm (post-norm: opt-350m).
   */
  layerNormBefore?: boolean;
  /**
   * OPT (`word_embed_proj_dim`, opt-350m): width of the token embeddings when it is not the hidden
   * size. `project_in` widens the token rows (looked up or fed) to the hidden size before the
   * position rows are added, and `project_out` narrows the final hidden states for the output
   * matrix, which is [vocab, wordEmbeddingSize]. Absent: the hidden size (no projections).
   */
  wordEmbeddingSize?: number;
  /** Share of each head's dimensions that are rotated (`partial_rotary_factor`, NeoX `rotary_pct`); default 1 (NeoX 0.25). */
  rotaryFraction?: number;
  /** Rotary frequency scaling; absent means none. */
  ropeScaling?: RopeScaling;
  /**
   * Attention sees only the last `slidingWindow` positions (Mistral, Phi-3: every layer; Gemma 2: the even
   * layers 0, 2, ..., the odd ones attending to the whole prefix); absent means the whole prefix.
   */
  slidingWindow?: number;
  /**
   * Gemma 2 (`query_pre_attn_scalar`): attention scores are scaled by `queryPreAttentionScalar^-0.5`
   * instead of `headDim^-0.5`. Absent means `headDim`.
   */
  queryPreAttentionScalar?: number;
  /**
   * Gemma 2 (`attn_logit_softcapping`): scaled attention scores `s` become `cap · tanh(s / cap)`
   * before the mask. Absent means no capping.
   */
  attentionLogitSoftcap?: number;
  /**
   * Gemma 2 (`final_logit_softcapping`): logits `z` become `cap · tanh(z / cap)`. Absent means no
   * capping.
   */
  finalLogitSoftcap?: number;
  /**
   * Gemma 3 (`sliding_window_pattern`, or its `layer_types`): layer `l` attends to the whole prefix
   * when `(l + 1) % slidingWindowPattern === 0` and within `slidingWindow` otherwise (5 local layers,
   * then a global one). Absent: every layer as `slidingWindow` says.
   */
  slidingWindowPattern?: number;
  /**
   * Gemma 3 (`rope_local_base_freq`): the rotary base of the sliding-window layers, unscaled; the
   * global layers use `ropeTheta` and `ropeScaling`. Absent: every layer uses `ropeTheta`.
   */
  ropeLocalTheta?: number;
}

/** One fp32 tensor, row-major; matrices are [out, in] as in Hugging Face checkpoints. */
export interface WeightTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * A model's weights in memory, as every loader produces them: fp32 (half precision and quantized
 * weights are dequantized at load) under Hugging Face Llama tensor names (see `names.ts`).
 */
export interface DecoderWeights {
  config: DecoderConfig;
  tensors: Map<string, WeightTensor>;
}
