import type { Token, Tokenization } from "@tokenscope/core";
import type { OnnxModel } from "@tokenscope/tensor-backends";
import type { EncoderDecoderGraphOptions } from "../graphs/encoder-decoder/types.ts";

/**
 * How an encoder-decoder family splits text: the source as the encoder reads it (with the special
 * tokens the family adds, such as `</s>`), a target as the decoder reads it, and target ids back.
 */
export interface EncoderDecoderTokenizer {
  /** Short description for `models inspect`. */
  readonly description: string;
  /** Source tokens with spans into `text`; `addSpecialTokens` false leaves out the family's BOS/EOS. */
  source(text: string, addSpecialTokens: boolean): Promise<Token[]>;
  /** Target tokens (a forced target or prefix) with spans into `text`, without special tokens. */
  target(text: string): Promise<Token[]>;
  /** The text of target ids, special tokens dropped. */
  decode(ids: readonly number[]): Promise<string>;
  /** Tokens of target ids with spans into their decoded text (special tokens: no text). */
  decodeTokens(ids: readonly number[]): Promise<Tokenization>;
}

/** Sizes every encoder-decoder family has, for model info, taps, value masks and the KV cache. */
export interface EncoderDecoderDims {
  sourceVocabSize: number;
  targetVocabSize: number;
  hiddenSize: number;
  numHeads: number;
  /** Width of one head (T5: `d_kv`, which need not be hiddenSize / numHeads). */
  headDim: number;
  encoderLayers: number;
  decoderLayers: number;
}

/**
 * What differs between encoder-decoder families (CTranslate2 Transformer, BART / mBART / Marian,
 * T5): their graphs, token tables, special ids and tokenizer. Everything built on them — forward
 * passes, gradients, taps, value zeroing, generation with a KV cache — is one implementation
 * (`createEncoderDecoderLanguageModel`), because every family's graphs share inputs, outputs and tap
 * names (`encoderDecoderTensorNames`).
 */
export interface EncoderDecoderFamily {
  /** `info.architecture`: "transformer", "bart", "mbart", "marian", "t5". */
  architecture: string;
  dims: EncoderDecoderDims;
  /** Longest source plus target accepted, so that a runaway request is refused before the graph. */
  contextLength: number;
  /** The whole model, source and target at once (teacher forcing). */
  fullGraph(options: EncoderDecoderGraphOptions): OnnxModel;
  /** `input_ids`, `attention_mask` → `encoder_hidden_states`, run once per generation. */
  encoderGraph(): OnnxModel;
  /** `encoder_hidden_states` → every decoder layer's `cross_key.{l}` / `cross_value.{l}`. */
  crossKeyValueGraph(): OnnxModel;
  /** The decoder over new target ids with a KV cache (`past_*` → `present_*`). */
  cachedDecoderGraph(): OnnxModel;
  /** Token tables [vocab, hidden], rows as `inputs_embeds` / `decoder_inputs_embeds` take them. */
  tables: { source: Float32Array; target: Float32Array };
  tokens: {
    /** The decoder's first input, not part of a target. */
    start: number;
    eos?: number;
    /** Written into padded slots, and a baseline token. */
    pad?: number;
    unk?: number;
    /** The config's token forced first after `start` (BART's `<s>`, a multilingual target language). */
    forcedBos?: number;
    /** Target-language codes the vocabulary holds ("fr_XX", "__fr__", "fra_Latn") and their ids. */
    languageCodes?: Readonly<Record<string, number>>;
    /** Ids never generated (Marian's `bad_words_ids`: its pad token). */
    suppressed?: readonly number[];
  };
  tokenizer: EncoderDecoderTokenizer;
}
