import { TokenscopeError } from "@tokenscope/core";
import { checkDecoderConfigBounds } from "../formats/config-bounds.ts";
import type { DecoderActivation, DecoderConfig, RopeScaling } from "../weights/types.ts";
import { validateDecoderConfig } from "../weights/validate.ts";

/** The class transformers instantiates for each family (`architectures` in config.json). */
const causalLmClass: Readonly<Record<string, string>> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
  gemma: "GemmaForCausalLM",
  gemma2: "Gemma2ForCausalLM",
  gemma3_text: "Gemma3ForCausalLM",
  phi3: "Phi3ForCausalLM",
  gpt2: "GPT2LMHeadModel",
  gpt_neox: "GPTNeoXForCausalLM",
  opt: "OPTForCausalLM",
};

const activationNames: Readonly<Record<DecoderActivation, string>> = {
  silu: "silu",
  gelu: "gelu",
  gelu_tanh: "gelu_new",
  relu: "relu",
};

/** Gemma's configs name the tanh approximation as PyTorch does. */
const gemmaActivationNames: Readonly<Record<DecoderActivation, string>> = {
  ...activationNames,
  gelu_tanh: "gelu_pytorch_tanh",
};

/**
 * The fields of a `GemmaConfig` / `Gemma2Config` / `Gemma3TextConfig` as transformers writes them
 * (`hidden_act` and `hidden_activation` both, the second being the one read; Gemma 2's windows listed
 * per layer in `layer_types`, the even layers sliding; Gemma 3's every `sliding_window_pattern`-th
 * layer full, with the local layers' rotary base).
 */
function gemmaFields(config: DecoderConfig): Record<string, unknown> {
  const activation = gemmaActivationNames[config.activation ?? "gelu_tanh"];
  const fields: Record<string, unknown> = {
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    hidden_act: activation,
    hidden_activation: activation,
    rms_norm_eps: config.rmsNormEps,
    attention_bias: false,
    attention_dropout: 0.0,
    initializer_range: 0.02,
  };
  if (config.architecture === "gemma") return fields;
  if (config.architecture === "gemma3_text") {
    const pattern = config.slidingWindowPattern ?? 6;
    return {
      ...fields,
      query_pre_attn_scalar: config.queryPreAttentionScalar ?? 256,
      sliding_window: config.slidingWindow ?? 4096,
      sliding_window_pattern: pattern,
      layer_types: Array.from({ length: config.numLayers }, (_, layer) =>
        (layer + 1) % pattern === 0 ? "full_attention" : "sliding_attention",
      ),
      rope_local_base_freq: config.ropeLocalTheta ?? 10000,
      attn_logit_softcapping: config.attentionLogitSoftcap ?? null,
      final_logit_softcapping: config.finalLogitSoftcap ?? null,
    };
  }
  return {
    ...fields,
    query_pre_attn_scalar: config.queryPreAttentionScalar ?? config.headDim,
    sliding_window: config.slidingWindow ?? null,
    attn_logit_softcapping: config.attentionLogitSoftcap ?? null,
    final_logit_softcapping: config.finalLogitSoftcap ?? null,
    layer_types: Array.from({ length: config.numLayers }, (_, layer) =>
      layer % 2 === 0 ? "sliding_attention" : "full_attention",
    ),
    cache_implementation: "hybrid",
  };
}

/**
 * The fields of a `Phi3Config` as phi-3-mini's config.json has them: no biases or head_dim fields
 * (head_dim only when it is not hidden / heads, which transformers then reads), the window of every
 * layer in `sliding_window`, `original_max_position_embeddings` equal to the context.
 */
function phi3Fields(config: DecoderConfig): Record<string, unknown> {
  return {
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKeyValueHeads,
    ...(config.headDim * config.numHeads !== config.hiddenSize ? { head_dim: config.headDim } : {}),
    intermediate_size: config.intermediateSize,
    hidden_act: activationNames[config.activation ?? "silu"],
    rms_norm_eps: config.rmsNormEps,
    original_max_position_embeddings:
      config.ropeScaling?.type === "longrope"
        ? config.ropeScaling.originalMaxPositionEmbeddings
        : config.contextLength,
    sliding_window: config.slidingWindow ?? null,
    ...(config.rotaryFraction !== undefined ? { partial_rotary_factor: config.rotaryFraction } : {}),
    attention_dropout: 0.0,
    embd_pdrop: 0.0,
    resid_pdrop: 0.0,
    initializer_range: 0.02,
  };
}

function ropeScalingJson(scaling: RopeScaling | undefined): Record<string, unknown> | null {
  if (!scaling) return null;
  if (scaling.type === "linear") return { rope_type: "linear", factor: scaling.factor };
  if (scaling.type === "longrope") {
    return {
      rope_type: "longrope",
      short_factor: [...scaling.shortFactor],
      long_factor: [...scaling.longFactor],
      original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
      attention_factor: scaling.attentionFactor,
    };
  }
  return {
    rope_type: "llama3",
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
  };
}

/**
 * The Hugging Face `config.json` object of a {@link DecoderConfig}, with the field names
 * transformers uses for the family, so that `decoderConfigFromHf` (and transformers itself) reads
 * the same model back. The inverse of `decoderConfigFromHf` for every field the family has: it
 * refuses what that would refuse (sizes beyond tokenscope's limits, sizes that make no model), so
 * nothing writes a config.json that tokenscope cannot read back.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for an architecture outside the ten families
 *   (and a phi3 config with rope scaling or biases, which `decoderConfigFromHf` would not read back);
 *   MODEL_LOAD_FAILED for sizes beyond the limits or that make no model.
 */
export function hfConfigJson(config: DecoderConfig): Record<string, unknown> {
  const architecture = config.architecture;
  validateDecoderConfig(config, "config.json");
  checkDecoderConfigBounds(config, "config.json");
  const className = Object.hasOwn(causalLmClass, architecture) ? causalLmClass[architecture] : undefined;
  if (className === undefined) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `No Hugging Face config layout for architecture "${architecture}"; supported: ${Object.keys(causalLmClass).join(", ")}.`,
      { hint: "Pick one of the supported architectures." },
    );
  }
  const shared = {
    architectures: [className],
    model_type: architecture,
    vocab_size: config.vocabSize,
    bos_token_id: config.bosTokenId ?? null,
    eos_token_id: config.eosTokenId ?? null,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: "float32",
    use_cache: true,
  };
  if (architecture === "gpt2") {
    return {
      ...shared,
      n_embd: config.hiddenSize,
      n_layer: config.numLayers,
      n_head: config.numHeads,
      n_positions: config.contextLength,
      n_ctx: config.contextLength,
      n_inner: config.intermediateSize,
      activation_function: activationNames[config.activation ?? "gelu_tanh"],
      layer_norm_epsilon: config.layerNormEps ?? 1e-5,
    };
  }
  const rotary = {
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScalingJson(config.ropeScaling),
    max_position_embeddings: config.contextLength,
  };
  if (config.ropeScaling?.type === "longrope" && architecture !== "phi3") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `config.json: LongRoPE is read for phi3 only, not ${architecture}.`,
      { hint: "Use LongRoPE with a phi3 config." },
    );
  }
  if (architecture === "gemma" || architecture === "gemma2" || architecture === "gemma3_text") {
    return { ...shared, ...rotary, ...gemmaFields(config) };
  }
  if (architecture === "phi3") {
    const scaling = config.ropeScaling;
    if (
      (scaling !== undefined && scaling.type !== "longrope") ||
      config.attentionBias === true ||
      config.mlpBias === true
    ) {
      throw new TokenscopeError(
        "UNSUPPORTED_ARCHITECTURE",
        "config.json: Phi-3 takes no rope scaling but LongRoPE, and no biases.",
        { hint: "Leave ropeScaling (unless longrope), attentionBias and mlpBias out of a phi3 config." },
      );
    }
    return { ...shared, ...rotary, ...phi3Fields(config) };
  }
  if (architecture === "opt") {
    // OPT's LayerNorms have PyTorch's fixed epsilon and its heads no free size: refuse what would not read back.
    if ((config.layerNormEps ?? 1e-5) !== 1e-5 || config.headDim * config.numHeads !== config.hiddenSize) {
      throw new TokenscopeError(
        "UNSUPPORTED_ARCHITECTURE",
        "config.json: OPT has LayerNorm epsilon 1e-5 and head size hidden / heads.",
        { hint: "Leave layerNormEps and headDim at OPT's values." },
      );
    }
    return {
      ...shared,
      hidden_size: config.hiddenSize,
      word_embed_proj_dim: config.wordEmbeddingSize ?? config.hiddenSize,
      num_hidden_layers: config.numLayers,
      num_attention_heads: config.numHeads,
      ffn_dim: config.intermediateSize,
      max_position_embeddings: config.contextLength,
      activation_function: activationNames[config.activation ?? "relu"],
      do_layer_norm_before: config.layerNormBefore ?? true,
      _remove_final_layer_norm: false,
      enable_bias: true,
      layer_norm_elementwise_affine: true,
      dropout: 0.0,
      attention_dropout: 0.0,
      layerdrop: 0.0,
      init_std: 0.02,
    };
  }
  if (architecture === "gpt_neox") {
    return {
      ...shared,
      ...rotary,
      hidden_size: config.hiddenSize,
      num_hidden_layers: config.numLayers,
      num_attention_heads: config.numHeads,
      intermediate_size: config.intermediateSize,
      hidden_act: activationNames[config.activation ?? "gelu"],
      layer_norm_eps: config.layerNormEps ?? 1e-5,
      use_parallel_residual: config.parallelResidual ?? true,
      rotary_pct: config.rotaryFraction ?? 0.25,
      rotary_emb_base: config.ropeTheta,
      attention_bias: true,
    };
  }
  return {
    ...shared,
    ...rotary,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    intermediate_size: config.intermediateSize,
    hidden_act: activationNames[config.activation ?? "silu"],
    rms_norm_eps: config.rmsNormEps,
    attention_bias: config.attentionBias ?? false,
    mlp_bias: config.mlpBias ?? false,
    ...(config.rotaryFraction !== undefined ? { partial_rotary_factor: config.rotaryFraction } : {}),
    ...(architecture === "mistral" ? { sliding_window: config.slidingWindow ?? null } : {}),
    ...(architecture === "qwen2" || architecture === "qwen3" ? { use_sliding_window: false } : {}),
  };
}
