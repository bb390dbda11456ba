import { TokenscopeError } from "@tokenscope/core";
import { randomTokenizerCorpus } from "../../hf/random-tokenizer.ts";
import {
  defaultNormalizerSpec,
  defaultTrainerSpec,
  ModelType,
  PieceType,
  type SentencePiece,
  writeSentencePieceModel,
} from "./model-proto.ts";
import { SPACE_SYMBOL } from "./precompiled-charsmap.ts";

/** Options of {@link buildMarianTokenizerFiles}. */
export interface MarianTokenizerBuildOptions {
  /** Exact number of ids in vocab.json, `</s>`, `<unk>` and `<pad>` included; at least 110. */
  vocabSize: number;
  /** Chooses which word pieces only one side has; default 0. */
  seed?: number;
}

/** The files of a random opus-mt folder: write them as source.spm, target.spm, vocab.json, tokenizer_config.json. */
export interface MarianTokenizerBuiltFiles {
  sourceSpm: Uint8Array;
  targetSpm: Uint8Array;
  vocab: Record<string, number>;
  tokenizerConfig: Record<string, unknown>;
}

const MIN_VOCAB_SIZE = 110;
/** Word pieces only one side has, so that tests see source and target segment differently. */
const ONE_SIDED_PIECES = 4;

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds the tokenizer files of a Marian (opus-mt) model, deterministically, without Python: two
 * Unigram SentencePiece models (identity normalizer, no charsmap) over every printable ASCII
 * character and the most frequent "▁word" pieces of some English prose, scored by log-frequency;
 * vocab.json laid out as real opus-mt folders (`</s>` 0, `<unk>` 1, pieces, `<pad>` last — Marian's
 * pad is also its decoder start). The target model has a few word pieces the source lacks and the
 * reverse, so both sides are really exercised. Used by `tokenscope models random --arch marian`.
 */
export function buildMarianTokenizerFiles(options: {
  vocabSize: number;
  seed?: number;
}): MarianTokenizerBuiltFiles {
  const { vocabSize } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `A random Marian tokenizer needs vocabSize >= ${MIN_VOCAB_SIZE} (every printable ASCII character is a piece), not ${vocabSize}.`,
      { hint: `Ask for at least ${MIN_VOCAB_SIZE} tokens.`, details: { vocabSize } },
    );
  }
  const random = mulberry32(options.seed ?? 0);
  const characterCounts = new Map<string, number>();
  const wordCounts = new Map<string, number>();
  const text = randomTokenizerCorpus.replace(/\s+/g, " ");
  for (const character of text.replaceAll(" ", SPACE_SYMBOL)) {
    characterCounts.set(character, (characterCounts.get(character) ?? 0) + 1);
  }
  for (const word of text.match(/[A-Za-z']+/g) ?? []) {
    const piece = SPACE_SYMBOL + word;
    wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  }
  const characters = [
    SPACE_SYMBOL,
    ...Array.from({ length: 0x7f - 0x21 }, (_, k) => String.fromCharCode(0x21 + k)),
  ];
  const words = [...wordCounts]
    .filter(([piece, count]) => count >= 1 && piece.length > 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([piece]) => piece);
  const wordSlots = Math.min(words.length, vocabSize - 3 - characters.length);
  const chosen = words.slice(0, wordSlots);
  // The seed picks which chosen words are one-sided; the rest are shared.
  const oneSided = chosen
    .map((piece) => ({ piece, key: random() }))
    .sort((a, b) => a.key - b.key)
    .slice(0, Math.min(2 * ONE_SIDED_PIECES, Math.floor(chosen.length / 4)))
    .map(({ piece }) => piece);
  const sourceOnly = new Set(oneSided.filter((_, k) => k % 2 === 0));
  const targetOnly = new Set(oneSided.filter((_, k) => k % 2 === 1));
  // Pieces the corpus has too few words for: filler the model never produces from English text.
  const fillers = Array.from(
    { length: vocabSize - 3 - characters.length - chosen.length },
    (_, k) => `${SPACE_SYMBOL}~${k}`,
  );

  const ordinary = [...characters, ...chosen, ...fillers];
  const vocab: Record<string, number> = { "</s>": 0, "<unk>": 1 };
  ordinary.forEach((piece, index) => {
    vocab[piece] = index + 2;
  });
  vocab["<pad>"] = vocabSize - 1;

  const total =
    [...characterCounts.values(), ...wordCounts.values()].reduce((a, b) => a + b, 0) + ordinary.length;
  const logProb = (count: number) => Math.log((count + 1) / total);
  const spm = (exclude: ReadonlySet<string>): Uint8Array => {
    const pieces: SentencePiece[] = [
      { piece: "<unk>", score: 0, type: PieceType.UNKNOWN },
      { piece: "<s>", score: 0, type: PieceType.CONTROL },
      { piece: "</s>", score: 0, type: PieceType.CONTROL },
    ];
    for (const piece of ordinary) {
      if (exclude.has(piece)) continue;
      const count = characterCounts.get(piece) ?? wordCounts.get(piece) ?? 0;
      // Word pieces score by their own frequency; rarer characters stay a fallback.
      pieces.push({
        piece,
        score: Math.fround(logProb(count) - (piece.length === 1 ? 2 : 0)),
        type: PieceType.NORMAL,
      });
    }
    return writeSentencePieceModel({
      pieces,
      trainerSpec: { ...defaultTrainerSpec(), modelType: ModelType.UNIGRAM, padId: -1 },
      normalizerSpec: { ...defaultNormalizerSpec(), name: "identity" },
    });
  };
  return {
    sourceSpm: spm(targetOnly),
    targetSpm: spm(sourceOnly),
    vocab,
    tokenizerConfig: {
      tokenizer_class: "MarianTokenizer",
      source_lang: "en",
      target_lang: "en",
      unk_token: "<unk>",
      eos_token: "</s>",
      pad_token: "<pad>",
      model_max_length: 512,
      separate_vocabs: false,
    },
  };
}
