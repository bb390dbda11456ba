import { TokenscopeError } from "@tokenscope/core";

/**
 * The two tokenizer layouts of Hugging Face decoder models: GPT-2's byte-level BPE ("Ġword"; GPT-2,
 * Pythia, Qwen, SmolLM2, Llama 3) and Llama 2's SentencePiece BPE with byte fallback ("▁word";
 * Llama 2, Mistral, TinyLlama).
 */
export type HfTokenizerStyle = "byte-level" | "sentencepiece";

/** The files of a tokenizer, as parsed JSON: write them as tokenizer.json and tokenizer_config.json. */
export interface HfTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** Options of {@link buildHfTokenizerFiles}. */
export interface HfTokenizerBuildOptions {
  style: HfTokenizerStyle;
  /** Exact number of ids, special tokens included. */
  vocabSize: number;
  /** tokenizer_config.json's `tokenizer_class`; default by style. */
  tokenizerClass?: string;
  /** Add a Unicode NFC normalizer (as Qwen's tokenizers do). */
  nfc?: boolean;
  /** tokenizer_config.json's `model_max_length`. */
  modelMaxLength?: number;
  /**
   * An encoder-decoder family's layout (byte-level style only), with no chat template: `"bart"`
   * wraps a text as `<s> X </s>` (RobertaProcessing, BartTokenizer); `"mbart-50"` as
   * `lang X </s>` (TemplateProcessing, MBart50Tokenizer) with {@link languageCodes}.
   */
  seq2seq?: "bart" | "mbart-50";
  /**
   * mBART-50's language codes ("en_XX", ...): special tokens at the last ids of the vocabulary, in
   * this order, listed in `additional_special_tokens`; the first is the source language. Required
   * with `seq2seq: "mbart-50"`, refused otherwise.
   */
  languageCodes?: readonly string[];
}

/** Special tokens, at ids 0..5 in this order. */
export const randomTokenizerSpecials = {
  unk: "<unk>",
  bos: "<s>",
  eos: "</s>",
  pad: "<pad>",
  imStart: "<|im_start|>",
  imEnd: "<|im_end|>",
} as const;

const specialList = Object.values(randomTokenizerSpecials);

/** A ChatML template over the special markers, as Qwen and SmolLM2 use. */
const randomChatTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Text the merges are learned from: plain English prose, so that frequent pairs are word pieces. */
export const randomTokenizerCorpus = `The river runs past the old mill and under the stone bridge before it reaches the sea. In the spring the water rises and the fields along the banks turn green again. Farmers plant wheat and barley, and the children walk to the school on the hill every morning.
People in the town say that the weather changes quickly here. A clear morning can end in a storm, and the wind from the west brings rain for three or four days. When the sun comes back, everyone goes outside to dry their clothes and talk with their neighbours.
The market opens on Saturday at eight o'clock. There are apples, pears, bread, cheese, fish from the harbour and flowers of every colour. Prices are written on small boards, and the sellers call out to the people who pass by their tables.
In 1895 the first train arrived at the station, and the town grew from about 2,000 people to more than 10,000 in thirty years. New houses were built near the line, and a second church was opened in the north part of the town.
Scientists study how language models learn to predict the next word in a sentence. They measure which words in the context matter most for each prediction, and they compare the results with what people expect. This work helps us understand when a model can be trusted and where it makes mistakes.
She said that the book was interesting, but he thought it was too long. They agreed to read another one together, and they met every week to discuss what they had read and what they would read next.`;

/** GPT-2's map from bytes to printable characters ("Ġ" is the space, "Ċ" the newline). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  for (const b of printable) map[b] = String.fromCodePoint(b);
  let next = 256;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(next++);
  return map;
}

/** GPT-2's pre-tokenization: words with their leading space, numbers, punctuation runs, whitespace. */
const gpt2Split = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Learns `count` merges (fewer when no pair is left) from word frequencies: each step merges the
 * most frequent adjacent pair, ties going to the smallest pair in code-unit order, so the result
 * is the same on every machine.
 */
export function learnMerges(
  words: Map<string, number>,
  split: (word: string) => string[],
  count: number,
): string[][] {
  const symbols = [...words].map(([word, frequency]) => ({ parts: split(word), frequency }));
  const merges: string[][] = [];
  while (merges.length < count) {
    const pairCounts = new Map<string, number>();
    for (const { parts, frequency } of symbols) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]}\u0000${parts[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + frequency);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, pairCount] of pairCounts) {
      if (pairCount > bestCount || (pairCount === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = pairCount;
      }
    }
    if (best === undefined) break;
    const [left, right] = best.split("\u0000") as [string, string];
    merges.push([left, right]);
    for (const word of symbols) {
      const merged: string[] = [];
      for (let i = 0; i < word.parts.length; i++) {
        if (i + 1 < word.parts.length && word.parts[i] === left && word.parts[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(word.parts[i]!);
        }
      }
      word.parts = merged;
    }
  }
  return merges;
}

/** How often each string occurs. */
export function countWords(words: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/**
 * Fills `vocab` (token → id) up to `size` with base symbols then merges; ids left over get
 * reserved tokens no text produces, so the vocabulary has exactly `size` ids.
 */
function fillVocabulary(
  vocab: Map<string, number>,
  base: readonly string[],
  learn: (count: number) => string[][],
  size: number,
): string[][] {
  for (const symbol of base) if (!vocab.has(symbol) && vocab.size < size) vocab.set(symbol, vocab.size);
  const merges: string[][] = [];
  for (const [left, right] of learn(size - vocab.size)) {
    if (vocab.size >= size) break;
    merges.push([left!, right!]);
    if (!vocab.has(left! + right!)) vocab.set(left! + right!, vocab.size);
  }
  for (let reserved = 0; vocab.size < size; reserved++) vocab.set(`<reserved_${reserved}>`, vocab.size);
  return merges;
}

/** tokenizer.json's `added_tokens` entries of special tokens, by id. */
export function specialAddedTokens(tokens: ReadonlyMap<number, string>): Array<Record<string, unknown>> {
  return [...tokens].map(([id, content]) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

function bpeModel(
  vocab: Map<string, number>,
  merges: string[][],
  byteFallback: boolean,
): Record<string, unknown> {
  return {
    type: "BPE",
    dropout: null,
    unk_token: byteFallback ? randomTokenizerSpecials.unk : null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: byteFallback,
    byte_fallback: byteFallback,
    ignore_merges: false,
    vocab: Object.fromEntries(vocab),
    merges: merges.map(([left, right]) => `${left} ${right}`),
  };
}

const decoderSpecials = new Map(specialList.map((token, id) => [id, token]));

/** `<s> X </s>` (BART, RoBERTa) or mBART-50's `lang X </s>` (`lang A B </s>` for pairs). */
function seq2seqPostProcessor(
  seq2seq: "bart" | "mbart-50",
  language: { code: string; id: number } | undefined,
): Record<string, unknown> {
  const { bos, eos } = randomTokenizerSpecials;
  if (seq2seq === "bart") {
    return {
      type: "RobertaProcessing",
      sep: [eos, 2],
      cls: [bos, 1],
      trim_offsets: true,
      add_prefix_space: false,
    };
  }
  const { code, id } = language!;
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  const sequence = (name: string) => ({ Sequence: { id: name, type_id: 0 } });
  return {
    type: "TemplateProcessing",
    single: [special(code), sequence("A"), special(eos)],
    pair: [special(code), sequence("A"), sequence("B"), special(eos)],
    special_tokens: {
      [code]: { id: code, ids: [id], tokens: [code] },
      [eos]: { id: eos, ids: [2], tokens: [eos] },
    },
  };
}

function byteLevelJson(
  vocabSize: number,
  nfc: boolean,
  seq2seq: "bart" | "mbart-50" | undefined,
  languageCodes: readonly string[],
): Record<string, unknown> {
  const byteChars = bytesToUnicode();
  const encoder = new TextEncoder();
  const toByteChars = (text: string) => Array.from(encoder.encode(text), (b) => byteChars[b]!).join("");
  const words = countWords(
    Array.from(randomTokenizerCorpus.matchAll(gpt2Split), (match) => toByteChars(match[0])),
  );
  const vocab = new Map<string, number>(specialList.map((token, id) => [token, id]));
  const merges = fillVocabulary(
    vocab,
    byteChars,
    (count) => learnMerges(words, (word) => [...word], count),
    vocabSize - languageCodes.length,
  );
  const specials = new Map<number, string>(decoderSpecials);
  for (const code of languageCodes) {
    specials.set(vocab.size, code);
    vocab.set(code, vocab.size);
  }
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  const first = languageCodes[0];
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialAddedTokens(specials),
    normalizer: nfc ? { type: "NFC" } : null,
    pre_tokenizer: byteLevel,
    post_processor:
      seq2seq === undefined
        ? { ...byteLevel, trim_offsets: false }
        : seq2seqPostProcessor(
            seq2seq,
            first === undefined ? undefined : { code: first, id: vocab.get(first)! },
          ),
    decoder: byteLevel,
    model: bpeModel(vocab, merges, false),
  };
}

function sentencePieceJson(vocabSize: number, nfc: boolean): Record<string, unknown> {
  const normalizedCorpus = `▁${randomTokenizerCorpus.replaceAll(" ", "▁")}`;
  // Learning stays inside words ("▁word"), as SentencePiece does; encoding needs no pre-tokenizer.
  const words = countWords(normalizedCorpus.match(/▁?[^▁\n]+|▁+|\n/gu) ?? []);
  const characterCounts = countWords([...normalizedCorpus].filter((character) => character !== "\n"));
  const characters = [...characterCounts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([character]) => character);
  const byteTokens = Array.from(
    { length: 256 },
    (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`,
  );
  const vocab = new Map<string, number>(specialList.map((token, id) => [token, id]));
  const merges = fillVocabulary(
    vocab,
    [...byteTokens, ...characters],
    (count) => learnMerges(words, (word) => [...word], count),
    vocabSize,
  );
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialAddedTokens(decoderSpecials),
    normalizer: {
      type: "Sequence",
      normalizers: [
        ...(nfc ? [{ type: "NFC" }] : []),
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "<s>", type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: bpeModel(vocab, merges, true),
  };
}

/** Smallest vocabulary: the special tokens and one token per byte. */
export const minRandomTokenizerVocab = specialList.length + 256 + 1;

function refused(message: string, hint: string): never {
  throw new TokenscopeError("INVALID_INPUT", message, { hint });
}

/**
 * A working Hugging Face tokenizer with exactly `vocabSize` ids, built deterministically: special
 * tokens `<unk>` `<s>` `</s>` `<pad>` `<|im_start|>` `<|im_end|>` at ids 0-5, every byte (so any
 * text encodes), characters and merges learned from a fixed English text, reserved tokens if ids
 * are left, then any `languageCodes`. The SentencePiece style adds BOS like Llama 2; the
 * byte-level style adds nothing, like GPT-2 and Qwen. Both carry a ChatML chat template, except
 * for the encoder-decoder layouts of `seq2seq` (BART's `<s> X </s>`, mBART-50's `lang X </s>`).
 * @throws TokenscopeError INVALID_INPUT when `vocabSize` is below {@link minRandomTokenizerVocab}
 *   (plus the language codes), or for `seq2seq` with the SentencePiece style, mBART-50 without
 *   language codes, codes without mBART-50, or a code that is already a token.
 */
export function buildHfTokenizerFiles(options: HfTokenizerBuildOptions): HfTokenizerFiles {
  const { style, vocabSize, seq2seq } = options;
  const languageCodes = options.languageCodes ?? [];
  const smallest = minRandomTokenizerVocab + languageCodes.length;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < smallest) {
    const codes = languageCodes.length > 0 ? `, ${languageCodes.length} language codes` : "";
    refused(
      `A working tokenizer needs at least ${smallest} ids (6 special tokens, 256 bytes and one merge${codes}), got ${vocabSize}.`,
      `Pass a vocabulary of ${smallest} or more (512 is a good small size).`,
    );
  }
  const sentencePiece = style === "sentencepiece";
  if (seq2seq !== undefined && sentencePiece)
    refused(`The ${seq2seq} layout is byte-level.`, 'Pass style "byte-level" with seq2seq.');
  if ((seq2seq === "mbart-50") !== languageCodes.length > 0)
    refused("Language codes go with the mbart-50 layout, and only with it.", "Pass both or neither.");
  if (new Set(languageCodes).size !== languageCodes.length)
    refused(`The language codes ${languageCodes.join(", ")} repeat one.`, "Pass each code once.");
  const tokenizerJson = sentencePiece
    ? sentencePieceJson(vocabSize, options.nfc ?? false)
    : byteLevelJson(vocabSize, options.nfc ?? false, seq2seq, languageCodes);
  const addedTokens = tokenizerJson["added_tokens"] as Array<Record<string, unknown>>;
  const vocabulary = (tokenizerJson["model"] as { vocab: Record<string, number> }).vocab;
  if (Object.keys(vocabulary).length !== vocabSize)
    refused(`A language code (${languageCodes.join(", ")}) is already a token.`, "Pick other codes.");
  const addedTokensDecoder = Object.fromEntries(addedTokens.map(({ id, ...token }) => [String(id), token]));
  const { unk, bos, eos, pad } = randomTokenizerSpecials;
  const common = {
    bos_token: bos,
    eos_token: eos,
    unk_token: unk,
    pad_token: pad,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
  };
  if (seq2seq !== undefined) {
    const bart = seq2seq === "bart";
    return {
      tokenizerJson,
      tokenizerConfig: {
        tokenizer_class: options.tokenizerClass ?? (bart ? "BartTokenizer" : "MBart50Tokenizer"),
        ...common,
        sep_token: eos,
        cls_token: bos,
        add_prefix_space: false,
        ...(bart
          ? {}
          : { src_lang: languageCodes[0], tgt_lang: null, additional_special_tokens: [...languageCodes] }),
        added_tokens_decoder: addedTokensDecoder,
      },
    };
  }
  return {
    tokenizerJson,
    tokenizerConfig: {
      tokenizer_class: options.tokenizerClass ?? (sentencePiece ? "LlamaTokenizerFast" : "GPT2TokenizerFast"),
      add_bos_token: sentencePiece,
      add_eos_token: false,
      ...common,
      chat_template: randomChatTemplate,
      added_tokens_decoder: addedTokensDecoder,
    },
  };
}
