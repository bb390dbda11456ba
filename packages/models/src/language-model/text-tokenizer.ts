import type { ChatMessage, SpecialTokenIds, Token, Tokenization } from "@tokenscope/core";
import type { ScoreBpeTokenizer } from "../tokenizers/score-bpe.ts";

/**
 * What a language model needs from a tokenizer, whatever its kind (llama2.c, GGUF, Hugging Face):
 * tokens with character spans, decoding, and tokens for generated ids.
 */
export interface TextTokenizer {
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokenIds;
  /** `continuation`: the text continues earlier text (no special tokens, no dummy-prefix space). */
  encode(text: string, options: { addSpecialTokens: boolean; continuation?: boolean }): Promise<Token[]>;
  decode(ids: readonly number[]): Promise<string>;
  /** Tokens with spans into their decoded text, decoded as a continuation of `after`. */
  decodeTokens(ids: readonly number[], after?: readonly number[]): Promise<Tokenization>;
  applyChatTemplate?(messages: ChatMessage[], options?: { addGenerationPrompt?: boolean }): Promise<string>;
  /** Short description for `models inspect` ("llama2.c score BPE, 512 tokens"). */
  readonly description: string;
}

/** Tokens with the tokenizer's own string for each id (`Token.piece`), where it has one. */
export function withPieces(tokens: Token[], pieceOf: (id: number) => string | undefined): Token[] {
  return tokens.map((token) => {
    const piece = token.id === null ? undefined : pieceOf(token.id);
    return piece === undefined ? token : { ...token, piece };
  });
}

/**
 * The SentencePiece piece of a llama2.c vocabulary entry: llama2.c's export writes "▁" as a space and
 * BOS/EOS as "\n<s>\n" / "\n</s>\n"; pieces are given back as SentencePiece (and Inseq) name them.
 */
export function llama2cPiece(entry: string): string {
  const trimmed = entry.trim();
  return /^<\/?s>$/.test(trimmed) ? trimmed : entry.replaceAll(" ", "\u2581");
}

/**
 * Spans of `ids` decoded after `after`: decode the growing prefix and give each token the characters
 * it added. A token that ends inside a multi-byte character (byte fallback) adds nothing until the
 * character is complete, so spans always slice the final text.
 */
export async function continuationTokens(
  ids: readonly number[],
  after: readonly number[],
  decode: (ids: readonly number[]) => Promise<string>,
  isSpecial: (id: number) => boolean,
): Promise<Tokenization> {
  const base = await decode(after);
  const full = (await decode([...after, ...ids])).slice(base.length);
  const tokens: Token[] = [];
  let covered = 0;
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index]!;
    const prefix = (await decode([...after, ...ids.slice(0, index + 1)])).slice(base.length);
    const end = full.startsWith(prefix) && !prefix.endsWith("\uFFFD") ? prefix.length : covered;
    const special = isSpecial(id);
    tokens.push({ id, text: full.slice(covered, end), span: special ? null : [covered, end], special });
    covered = Math.max(covered, end);
  }
  return { text: full, tokens };
}

/**
 * A {@link TextTokenizer} over a llama2.c / GGUF score-BPE tokenizer. `pieceOf` maps a vocabulary
 * entry to the piece tokens carry (default: the entry as stored, right for GGUF).
 */
export function scoreBpeTextTokenizer(
  tokenizer: ScoreBpeTokenizer,
  description: string,
  pieceOf: (entry: string) => string = (entry) => entry,
): TextTokenizer {
  // SentencePiece vocabularies (llama2.c, GGUF llama) keep "<unk>" at id 0: integrated gradients'
  // default baseline needs to know it.
  const unk = tokenizer.vocabSize > 0 && tokenizer.idToPiece(0) === "<unk>" ? 0 : undefined;
  const specialTokens: SpecialTokenIds = {
    ...(tokenizer.bosId !== undefined ? { bos: tokenizer.bosId } : {}),
    ...(tokenizer.eosId !== undefined ? { eos: [tokenizer.eosId] } : {}),
    ...(unk !== undefined ? { unk } : {}),
  };
  const isSpecial = (id: number) => id === tokenizer.bosId || id === tokenizer.eosId;
  const decode = async (ids: readonly number[]) => tokenizer.decode(ids);
  const piece = (id: number) => (id < tokenizer.vocabSize ? pieceOf(tokenizer.idToPiece(id)) : undefined);
  return {
    vocabSize: tokenizer.vocabSize,
    specialTokens,
    description,
    encode: async (text, { addSpecialTokens, continuation }) =>
      withPieces(
        tokenizer.encode(text, {
          addBos: addSpecialTokens && !continuation,
          ...(continuation ? { addDummyPrefix: false } : {}),
        }),
        piece,
      ),
    decode,
    decodeTokens: async (ids, after = []) => {
      const decoded = await continuationTokens(ids, after, decode, isSpecial);
      return { ...decoded, tokens: withPieces(decoded.tokens, piece) };
    },
  };
}
