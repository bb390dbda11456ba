import { TokenscopeError } from "@tokenscope/core";
import {
  countWords,
  type HfTokenizerFiles,
  learnMerges,
  randomTokenizerCorpus,
  specialAddedTokens,
} from "./random-tokenizer.ts";

/** T5's special tokens, at ids 0..2 in this order (`<pad>` is also the decoder's start). */
const t5TokenizerSpecials = { pad: "<pad>", eos: "</s>", unk: "<unk>" } as const;

/** Every printable ASCII character, so that English text never falls back to `<unk>`. */
const printableAscii = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));

const corpusPieces = `▁${randomTokenizerCorpus.replaceAll(" ", "▁")}`;
const corpusCharacters = [...new Set(corpusPieces)].filter((c) => c !== "\n" && c !== "▁");
const characters = ["▁", ...new Set([...printableAscii, ...corpusCharacters])];

/** Smallest vocabulary of {@link buildT5TokenizerFiles}: the specials, the characters, one piece. */
export const minT5TokenizerVocab = 3 + characters.length + 1;

/** Options of {@link buildT5TokenizerFiles}. */
export interface T5TokenizerBuildOptions {
  /** Exact number of ids, special tokens included. */
  vocabSize: number;
  /** tokenizer_config.json's `model_max_length`; default 512 (T5's). */
  modelMaxLength?: number;
}

/**
 * A working T5-style tokenizer with exactly `vocabSize` ids, built deterministically: a
 * SentencePiece Unigram model (Metaspace "▁word" pieces, no byte fallback) with `<pad>` 0, `</s>`
 * 1, `<unk>` 2, every printable ASCII character as a piece, then the word pieces that merges
 * learned from a fixed English text (longer pieces score higher, so words encode whole), then
 * reserved pieces if ids are left. Encoding appends `</s>` (`X </s>`, `A </s> B </s>`), as T5's
 * TemplateProcessing does; tokenizer_class is T5Tokenizer.
 * @throws TokenscopeError INVALID_INPUT when `vocabSize` is below {@link minT5TokenizerVocab}.
 */
export function buildT5TokenizerFiles(options: T5TokenizerBuildOptions): HfTokenizerFiles {
  const { vocabSize } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < minT5TokenizerVocab) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `A working T5 tokenizer needs at least ${minT5TokenizerVocab} ids (3 special tokens, ${characters.length} characters and one piece), got ${vocabSize}.`,
      { hint: `Pass a vocabulary of ${minT5TokenizerVocab} or more (256 is a good small size).` },
    );
  }
  const { pad, eos, unk } = t5TokenizerSpecials;
  const specials = new Map<number, string>([
    [0, pad],
    [1, eos],
    [2, unk],
  ]);
  const pieces = new Map<string, number>([...specials].map(([, token]) => [token, 0]));
  // Characters score far below any learned piece: a word takes the fewest, longest pieces.
  for (const [index, character] of characters.entries())
    pieces.set(character, -10 - index / characters.length);
  const words = countWords(corpusPieces.match(/▁?[^▁\n]+|▁+/gu) ?? []);
  const merges = learnMerges(words, (word) => [...word], vocabSize - pieces.size);
  for (const [index, [left, right]] of merges.entries()) {
    const piece = left! + right!;
    if (pieces.size < vocabSize && !pieces.has(piece)) pieces.set(piece, -2 - index / merges.length);
  }
  for (let reserved = 0; pieces.size < vocabSize; reserved++) pieces.set(`<reserved_${reserved}>`, -100);
  const metaspace = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true };
  const special = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
  const sequence = (name: string, typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  const addedTokens = specialAddedTokens(specials);
  return {
    tokenizerJson: {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: metaspace,
      post_processor: {
        type: "TemplateProcessing",
        single: [sequence("A", 0), special(eos, 0)],
        pair: [sequence("A", 0), special(eos, 0), sequence("B", 1), special(eos, 1)],
        special_tokens: { [eos]: { id: eos, ids: [1], tokens: [eos] } },
      },
      decoder: metaspace,
      model: { type: "Unigram", unk_id: 2, vocab: [...pieces], byte_fallback: false },
    },
    tokenizerConfig: {
      tokenizer_class: "T5Tokenizer",
      eos_token: eos,
      unk_token: unk,
      pad_token: pad,
      extra_ids: 0,
      additional_special_tokens: [],
      clean_up_tokenization_spaces: false,
      model_max_length: options.modelMaxLength ?? 512,
      added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...token }) => [String(id), token])),
    },
  };
}
