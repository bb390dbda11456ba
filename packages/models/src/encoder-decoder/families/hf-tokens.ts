import type { EncoderDecoderDims, EncoderDecoderFamily } from "../family.ts";

/** What a Hugging Face config and tokenizer say about a model's tokens, beyond the config reader's ids. */
export interface HfFamilyTokens {
  /** The tokenizer's `<unk>`, a baseline token. */
  unk?: number;
  /** Target-language tokens and their ids (tokenizer_config.json's language codes). */
  languageCodes?: Readonly<Record<string, number>>;
  /** Single-token `bad_words_ids` of the config (Marian's pad). */
  suppressed?: readonly number[];
}

/** The family's `tokens` from a config's ids and {@link HfFamilyTokens}. */
export function hfFamilyTokens(
  config: { decoderStartTokenId: number; eosTokenId: number; padTokenId: number; forcedBosTokenId?: number },
  extra: HfFamilyTokens,
): EncoderDecoderFamily["tokens"] {
  return {
    start: config.decoderStartTokenId,
    eos: config.eosTokenId,
    pad: config.padTokenId,
    ...(extra.unk !== undefined ? { unk: extra.unk } : {}),
    ...(config.forcedBosTokenId !== undefined ? { forcedBos: config.forcedBosTokenId } : {}),
    ...(extra.languageCodes && Object.keys(extra.languageCodes).length > 0
      ? { languageCodes: extra.languageCodes }
      : {}),
    ...(extra.suppressed && extra.suppressed.length > 0 ? { suppressed: extra.suppressed } : {}),
  };
}

/** The sizes of a Hugging Face encoder-decoder: one vocabulary for source and target. */
export function sharedVocabularyDims(
  config: Omit<EncoderDecoderDims, "sourceVocabSize" | "targetVocabSize"> & {
    vocabSize: number;
  },
): EncoderDecoderDims {
  return {
    sourceVocabSize: config.vocabSize,
    targetVocabSize: config.vocabSize,
    hiddenSize: config.hiddenSize,
    numHeads: config.numHeads,
    headDim: config.headDim,
    encoderLayers: config.encoderLayers,
    decoderLayers: config.decoderLayers,
  };
}
