import type { SpecialTokenIds, Token } from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";
import { continuationTokens, type TextTokenizer, withPieces } from "../../language-model/text-tokenizer.ts";
import { readSentencePieceModel } from "./model-proto.ts";
import { createSentencePieceProcessor, type SentencePieceProcessor } from "./unigram.ts";

/*
 * transformers' slow `MarianTokenizer` (models/marian/tokenization_marian.py): two SentencePiece
 * models (source text, target text) and one vocab.json shared by both that maps pieces to model
 * ids. Hugging Face's Marian folders have no tokenizer.json, so nothing else can read them.
 */

/** The files of an opus-mt folder, already read (`vocab` and `tokenizerConfig` parsed from JSON). */
export interface MarianTokenizerFiles {
  sourceSpm: Uint8Array;
  targetSpm: Uint8Array;
  vocab: unknown;
  tokenizerConfig?: unknown;
}

/** Options of {@link marianTokenizer}. */
export interface MarianTokenizerOptions {
  /** Names the folder in error messages. */
  source?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A special token's name in tokenizer_config.json: a string or a serialized AddedToken. */
function tokenName(config: Record<string, unknown>, key: string, fallback: string): string {
  const value = config[key];
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value.content === "string") return value.content;
  return fallback;
}

// Python's str.strip() whitespace (str.isspace), which differs from String.prototype.trim.
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/** transformers' `clean_up_tokenization`, applied only when tokenizer_config.json asks for it. */
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/**
 * A {@link TextTokenizer} that encodes and decodes exactly as transformers' `MarianTokenizer`
 * (slow, sentencepiece-based). `encode` without `continuation` is source text (source.spm, a
 * leading `>>xx<<` language code as its own token, `</s>` appended with special tokens); with
 * `continuation` it is target text (target.spm, never `</s>`): a forced translation. Pieces become
 * ids through vocab.json, `<unk>` for pieces it lacks. Spans index the original text through the
 * normalizer's alignment and tile each run of text: a "▁word" piece spans " word", except the
 * first word, whose space the tokenizer invents. Decoding is `decode(ids, skip_special_tokens=True)`
 * with target.spm.
 */
export function marianTokenizer(
  files: MarianTokenizerFiles,
  options: MarianTokenizerOptions = {},
): TextTokenizer {
  const source = options.source ?? "Marian tokenizer";
  const fail = (what: string, hint: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, { hint, details: { source } });
  };
  const config = files.tokenizerConfig === undefined ? {} : files.tokenizerConfig;
  if (!isRecord(config))
    fail("tokenizer_config.json is not a JSON object", "Download tokenizer_config.json again.");
  const settings = config as Record<string, unknown>;
  if (settings.separate_vocabs === true) {
    fail(
      "tokenizer_config.json sets separate_vocabs (a target_vocab.json of its own)",
      "Models with separate source and target vocabularies are not supported yet.",
    );
  }
  if (!isRecord(files.vocab))
    fail("vocab.json is not a JSON object of piece → id", "Download vocab.json again.");
  const encoder = new Map<string, number>();
  const decoder = new Map<number, string>();
  for (const [piece, id] of Object.entries(files.vocab as Record<string, unknown>)) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      fail(
        `vocab.json maps ${JSON.stringify(piece)} to ${JSON.stringify(id)}, not a non-negative integer id`,
        "Download vocab.json again.",
      );
    }
    const other = decoder.get(id as number);
    if (other !== undefined) {
      fail(
        `vocab.json gives id ${id} to both ${JSON.stringify(other)} and ${JSON.stringify(piece)}`,
        "Download vocab.json again.",
      );
    }
    encoder.set(piece, id as number);
    decoder.set(id as number, piece);
  }
  const names = {
    eos: tokenName(settings, "eos_token", "</s>"),
    unk: tokenName(settings, "unk_token", "<unk>"),
    pad: tokenName(settings, "pad_token", "<pad>"),
  };
  const unkId = encoder.get(names.unk);
  if (unkId === undefined)
    fail(`vocab.json has no ${names.unk} token`, "MarianTokenizer needs the unknown token in vocab.json.");
  const eosId = encoder.get(names.eos);
  const padId = encoder.get(names.pad);
  const specialIds = new Set([unkId, eosId, padId].filter((id): id is number => id !== undefined));
  const specialByName = new Map(
    Object.values(names)
      .filter((name) => encoder.has(name))
      .map((name) => [name, encoder.get(name)!] as const),
  );
  const vocabSize = Math.max(...decoder.keys()) + 1;
  const cleanUp = settings.clean_up_tokenization_spaces === true;

  const load = (bytes: Uint8Array, file: string): SentencePieceProcessor =>
    createSentencePieceProcessor(readSentencePieceModel(bytes, `${source}/${file}`), `${source}/${file}`);
  const sourceSpm = load(files.sourceSpm, "source.spm");
  const targetSpm = load(files.targetSpm, "target.spm");
  const isSpecial = (id: number) => specialIds.has(id);
  const pieceOf = (id: number) => decoder.get(id);
  const idOf = (piece: string) => encoder.get(piece) ?? unkId!;

  /** `_tokenize` on one run of text that holds no special token: language code, then spm pieces. */
  const tokenizeRun = (text: string, offset: number, spm: SentencePieceProcessor, tokens: Token[]) => {
    let start = 0;
    // remove_language_code: text.startswith(">>") and the first "<<" after it.
    const codeEnd = text.startsWith(">>") ? text.indexOf("<<") : -1;
    if (codeEnd >= 0) {
      const code = text.slice(0, codeEnd + 2);
      tokens.push({ id: idOf(code), text: code, span: [offset, offset + code.length], special: false });
      start = code.length;
    }
    const pieces = spm.encode(text.slice(start));
    pieces.forEach((piece, index) => {
      const spanStart = offset + start + (index === 0 ? 0 : piece.start);
      const spanEnd = offset + (index === pieces.length - 1 ? text.length : start + piece.end);
      tokens.push({
        id: idOf(piece.piece),
        text: text.slice(spanStart - offset, spanEnd - offset),
        span: [spanStart, spanEnd],
        special: false,
      });
    });
  };

  const decodeWith = async (ids: readonly number[]): Promise<string> => {
    const pieces: string[] = [];
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= vocabSize) {
        throw new TokenscopeError("INVALID_INPUT", `Token id ${id} is not in [0, ${vocabSize}).`, {
          hint: "Decode ids produced by this tokenizer or its model.",
        });
      }
      if (isSpecial(id)) continue;
      // As _convert_id_to_token: vocab.json first, then the target model's own piece.
      pieces.push(decoder.get(id) ?? targetSpm.model.pieces[id]?.piece ?? names.unk);
    }
    const text = targetSpm.decodePieces(pieces).replaceAll("\u2581", " ").replace(PY_STRIP, "");
    return cleanUp ? cleanUpTokenization(text) : text;
  };

  const specialTokens: SpecialTokenIds = {
    ...(eosId !== undefined ? { eos: [eosId] } : {}),
    ...(padId !== undefined ? { pad: padId } : {}),
    unk: unkId!,
  };
  const kind = sourceSpm.model.trainerSpec.modelType === 2 ? "BPE" : "unigram";

  return {
    vocabSize,
    specialTokens,
    description: `Marian SentencePiece (${kind}), ${vocabSize} tokens`,
    async encode(text, { addSpecialTokens, continuation }) {
      const spm = continuation ? targetSpm : sourceSpm;
      const tokens: Token[] = [];
      // The slow tokenizer first splits the text on its special tokens, written as text.
      let runStart = 0;
      for (let at = 0; at <= text.length; ) {
        const special =
          at < text.length ? [...specialByName].find(([name]) => text.startsWith(name, at)) : undefined;
        if (at < text.length && !special) {
          at++;
          continue;
        }
        if (at > runStart) tokenizeRun(text.slice(runStart, at), runStart, spm, tokens);
        if (!special) break;
        const [name, id] = special;
        tokens.push({ id, text: name, span: [at, at + name.length], special: true });
        at += name.length;
        runStart = at;
      }
      if (addSpecialTokens && !continuation && eosId !== undefined) {
        tokens.push({ id: eosId, text: "", span: null, special: true });
      }
      return withPieces(tokens, pieceOf);
    },
    decode: decodeWith,
    async decodeTokens(ids, after = []) {
      const decoded = await continuationTokens(ids, after, decodeWith, isSpecial);
      return { ...decoded, tokens: withPieces(decoded.tokens, pieceOf) };
    },
  };
}
