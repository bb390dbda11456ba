import { type SafetensorsDtype, torchDtypeNames } from "../formats/safetensors/dtypes.ts";

/** The encoder-decoder families `writeRandomEncoderDecoderFolder` writes. */
export type RandomEncoderDecoderArchitecture = "bart" | "mbart" | "marian" | "t5";

/** Sizes and token ids of a random encoder-decoder, as its config.json states them. */
export interface EncoderDecoderJsonSizes {
  architecture: RandomEncoderDecoderArchitecture;
  layers: number;
  hidden: number;
  heads: number;
  vocab: number;
  ffn: number;
  /** T5's `d_kv`. */
  headDim: number;
  /** `max_position_embeddings` (BART family) or `n_positions` (T5). */
  contextLength: number;
  feedForward: "relu" | "gated-gelu";
  dtype: Extract<SafetensorsDtype, "F32" | "F16" | "BF16">;
  padTokenId: number;
  eosTokenId: number;
  bosTokenId?: number;
  decoderStartTokenId: number;
  /** `null` is written as `forced_bos_token_id: null` (mBART-50); undefined leaves the key out. */
  forcedBosTokenId?: number | null;
}

const bartClasses = {
  bart: "BartForConditionalGeneration",
  mbart: "MBartForConditionalGeneration",
  marian: "MarianMTModel",
} as const;

/** config.json as transformers writes it for BartConfig, MBartConfig, MarianConfig or T5Config. */
export function encoderDecoderConfigJson(sizes: EncoderDecoderJsonSizes): Record<string, unknown> {
  const { architecture, layers, hidden, heads, vocab, ffn } = sizes;
  const ids = {
    pad_token_id: sizes.padTokenId,
    eos_token_id: sizes.eosTokenId,
    ...(sizes.bosTokenId === undefined ? {} : { bos_token_id: sizes.bosTokenId }),
    decoder_start_token_id: sizes.decoderStartTokenId,
  };
  const common = { is_encoder_decoder: true, use_cache: true, torch_dtype: torchDtypeNames[sizes.dtype] };
  if (architecture === "t5") {
    const gated = sizes.feedForward === "gated-gelu";
    return {
      architectures: ["T5ForConditionalGeneration"],
      model_type: "t5",
      vocab_size: vocab,
      d_model: hidden,
      d_kv: sizes.headDim,
      d_ff: ffn,
      num_layers: layers,
      num_decoder_layers: layers,
      num_heads: heads,
      relative_attention_num_buckets: 32,
      relative_attention_max_distance: 128,
      dropout_rate: 0.1,
      layer_norm_epsilon: 1e-6,
      initializer_factor: 1.0,
      feed_forward_proj: sizes.feedForward,
      dense_act_fn: gated ? "gelu_new" : "relu",
      is_gated_act: gated,
      n_positions: sizes.contextLength,
      // flan-t5 (gated) has an untied head; T5 v1.0 (relu) ties it to the shared table.
      tie_word_embeddings: !gated,
      ...ids,
      ...common,
    };
  }
  const marian = architecture === "marian";
  return {
    architectures: [bartClasses[architecture]],
    model_type: architecture,
    vocab_size: vocab,
    ...(marian ? { decoder_vocab_size: vocab, share_encoder_decoder_embeddings: true } : {}),
    d_model: hidden,
    encoder_layers: layers,
    decoder_layers: layers,
    num_hidden_layers: layers,
    encoder_attention_heads: heads,
    decoder_attention_heads: heads,
    encoder_ffn_dim: ffn,
    decoder_ffn_dim: ffn,
    activation_function: marian ? "swish" : "gelu",
    dropout: 0.1,
    attention_dropout: 0.0,
    activation_dropout: 0.0,
    encoder_layerdrop: 0.0,
    decoder_layerdrop: 0.0,
    init_std: 0.02,
    max_position_embeddings: sizes.contextLength,
    scale_embedding: architecture !== "bart",
    // opus-mt checkpoints never generate their pad token (the decoder start).
    ...(marian ? { static_position_embeddings: true, bad_words_ids: [[sizes.padTokenId]] } : {}),
    ...(architecture === "mbart" ? { normalize_before: true, add_final_layer_norm: true } : {}),
    ...ids,
    ...(sizes.forcedBosTokenId === undefined ? {} : { forced_bos_token_id: sizes.forcedBosTokenId }),
    forced_eos_token_id: sizes.eosTokenId,
    tie_word_embeddings: true,
    ...common,
  };
}

/** generation_config.json: the start, end and pad ids (and the forced first token where set). */
export function encoderDecoderGenerationJson(sizes: EncoderDecoderJsonSizes): Record<string, unknown> {
  return {
    ...(sizes.bosTokenId === undefined ? {} : { bos_token_id: sizes.bosTokenId }),
    decoder_start_token_id: sizes.decoderStartTokenId,
    eos_token_id: sizes.eosTokenId,
    ...(typeof sizes.forcedBosTokenId === "number" ? { forced_bos_token_id: sizes.forcedBosTokenId } : {}),
    ...(sizes.architecture === "t5" ? {} : { forced_eos_token_id: sizes.eosTokenId }),
    ...(sizes.architecture === "marian" ? { bad_words_ids: [[sizes.padTokenId]] } : {}),
    pad_token_id: sizes.padTokenId,
  };
}
