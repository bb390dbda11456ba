import type { ChatMessage, SpecialTokenIds, Token } from "@tokenscope/core";
import { type TextTokenizer, withPieces } from "../language-model/text-tokenizer.ts";
import { alignPieces } from "./hf-align.ts";
import { tokenPieces } from "./hf-pieces.ts";

/**
 * What tokenscope uses of a Hugging Face tokenizer, in the shape of transformers.js's
 * `PreTrainedTokenizer` (which has all of it, so one can be passed as it is):
 * `createHfPretrainedTokenizer` builds one from the parsed files without transformers.js.
 */
export interface HfPretrainedTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(
    ids: number[],
    options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean },
  ): string;
  apply_chat_template(
    conversation: ChatMessage[],
    options?: { tokenize?: false; add_generation_prompt?: boolean },
  ): unknown;
  get_vocab(): Map<string, number>;
  all_special_ids: number[];
  bos_token_id?: number | null;
  eos_token_id?: number | null;
  pad_token_id?: number | null;
  unk_token_id?: number | null;
  chat_template?: unknown;
}

/** Options of {@link hfTextTokenizer}. */
export interface HfTextTokenizerOptions {
  /** More ids that end generation (from config.json / generation_config.json). */
  extraEosTokenIds?: readonly number[];
  /** Names the tokenizer in `description` ("Hugging Face LlamaTokenizer"); the vocabulary size follows. */
  name?: string;
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function specialTokenIds(tokenizer: HfPretrainedTokenizer, extraEos: readonly number[]): SpecialTokenIds {
  const eos = [...new Set([tokenizer.eos_token_id, ...extraEos].filter(isId))];
  return {
    ...(isId(tokenizer.bos_token_id) ? { bos: tokenizer.bos_token_id } : {}),
    ...(eos.length > 0 ? { eos } : {}),
    ...(isId(tokenizer.pad_token_id) ? { pad: tokenizer.pad_token_id } : {}),
    ...(isId(tokenizer.unk_token_id) ? { unk: tokenizer.unk_token_id } : {}),
  };
}

function vocabularySize(tokenizer: HfPretrainedTokenizer): number {
  let maxId = -1;
  for (const id of tokenizer.get_vocab().values()) maxId = Math.max(maxId, id);
  for (const id of tokenizer.all_special_ids) maxId = Math.max(maxId, id);
  return maxId + 1;
}

/**
 * A {@link TextTokenizer} over a Hugging Face tokenizer, with the character spans neither
 * transformers.js nor `@huggingface/tokenizers` gives: each token's decoded piece (`tokenPieces`) is placed on the
 * original text (`alignPieces`), so that every span slices the text given to `encode`. Spans
 * follow tokenscope's conventions: a GPT-2 "Ġword" or SentencePiece "▁word" token spans " word"
 * (the first word of a SentencePiece text, whose space the tokenizer invents, spans "word"); a
 * character split over byte tokens belongs to the first; BOS/EOS added by the tokenizer have a
 * null span and empty text, while special tokens written in the text (chat markers) span them.
 * Decoding keeps spaces as they are (no clean-up) and drops special tokens.
 */
export function hfTextTokenizer(
  tokenizer: HfPretrainedTokenizer,
  options: HfTextTokenizerOptions = {},
): TextTokenizer {
  const specialIds = new Set(tokenizer.all_special_ids);
  const isSpecial = (id: number) => specialIds.has(id);
  const decodeWith = (skipSpecial: boolean) => (ids: readonly number[]) =>
    ids.length === 0
      ? ""
      : tokenizer.decode([...ids], { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  const decodeRaw = decodeWith(false);
  const decodeText = decodeWith(true);
  /**
   * Pieces of an encoding: each special token is its own text, and each run of ordinary tokens
   * between them is decoded on its own, as the tokenizer normalized it on its own (SentencePiece
   * gives every run its prefix space, which the run's first token then does not show).
   */
  const encodedPieces = (ids: readonly number[]): string[] => {
    const pieces: string[] = [];
    let runStart = 0;
    for (let index = 0; index <= ids.length; index++) {
      if (index < ids.length && !isSpecial(ids[index]!)) continue;
      pieces.push(...tokenPieces(ids.slice(runStart, index), decodeRaw));
      if (index < ids.length) pieces.push(decodeRaw([ids[index]!]));
      runStart = index + 1;
    }
    return pieces;
  };
  const vocabSize = vocabularySize(tokenizer);
  const pieces = new Map<number, string>();
  for (const [piece, id] of tokenizer.get_vocab()) if (!pieces.has(id)) pieces.set(id, piece);
  const pieceOf = (id: number) => pieces.get(id);
  const chatTemplate = tokenizer.chat_template;
  const hasChatTemplate =
    (typeof chatTemplate === "string" && chatTemplate.length > 0) ||
    (typeof chatTemplate === "object" && chatTemplate !== null && Object.keys(chatTemplate).length > 0);

  return {
    vocabSize,
    specialTokens: specialTokenIds(tokenizer, options.extraEosTokenIds ?? []),
    description: `${options.name ?? "Hugging Face tokenizer"}, ${vocabSize} tokens`,
    async encode(text, { addSpecialTokens }) {
      const ids = tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
      const special = ids.map(isSpecial);
      const spans = alignPieces(text, encodedPieces(ids), special);
      const tokens = ids.map((id, index): Token => {
        const span = spans[index] ?? null;
        return { id, text: span ? text.slice(span[0], span[1]) : "", span, special: special[index]! };
      });
      return withPieces(tokens, pieceOf);
    },
    async decode(ids) {
      if (ids.length === 0) return "";
      return decodeText(ids);
    },
    async decodeTokens(ids, after = []) {
      // Decoded as `decode` shows text: special tokens add nothing, and the text after them reads as
      // if they were absent (no SentencePiece space at the start of the text).
      const pieces = tokenPieces([...after, ...ids], decodeText, { from: after.length });
      let text = "";
      const tokens = ids.map((id, index): Token => {
        if (isSpecial(id)) return { id, text: "", span: null, special: true };
        const start = text.length;
        text += pieces[index]!;
        return { id, text: pieces[index]!, span: [start, text.length], special: false };
      });
      return { text, tokens: withPieces(tokens, pieceOf) };
    },
    ...(hasChatTemplate
      ? {
          async applyChatTemplate(
            messages: ChatMessage[],
            chatOptions: { addGenerationPrompt?: boolean } = {},
          ) {
            return String(
              tokenizer.apply_chat_template(messages, {
                tokenize: false,
                add_generation_prompt: chatOptions.addGenerationPrompt ?? false,
              }),
            );
          },
        }
      : {}),
  };
}
