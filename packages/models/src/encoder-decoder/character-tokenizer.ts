import type { Token } from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";
import type { CTranslate2Vocabulary } from "../formats/ctranslate2/vocabulary.ts";

/** Tokens of a CTranslate2 vocabulary that stand for no characters: padding, start, end, unknown. */
const SPECIAL_TOKENS = new Set(["<blank>", "<s>", "</s>", "<unk>"]);

/**
 * Splits `text` into Unicode code points, one token each (the tokenization of character-level
 * CTranslate2 models such as aren-transliteration): the id of the character in `vocabulary`, or
 * `<unk>`'s id for a character it lacks (the token keeps the character as its text), with its span in
 * UTF-16 code units. No BOS or EOS is added.
 */
export function characterTokens(vocabulary: CTranslate2Vocabulary, text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  for (const character of text) {
    const known = vocabulary.ids.get(character);
    const id = known !== undefined && !SPECIAL_TOKENS.has(character) ? known : vocabulary.unknownId;
    const end = offset + character.length;
    tokens.push({
      id,
      text: character,
      span: [offset, end],
      special: false,
      piece: vocabulary.tokens[id]!,
    });
    offset = end;
  }
  return tokens;
}

/**
 * Tokens for ids of `vocabulary`, their characters joined into the text: `<blank>`, `<s>`, `</s>`
 * and `<unk>` are special and take no characters (span null), every other token is its own text.
 * @throws TokenscopeError INVALID_INPUT for an id outside the vocabulary.
 */
export function decodeCharacterTokens(
  vocabulary: CTranslate2Vocabulary,
  ids: readonly number[],
): { text: string; tokens: Token[] } {
  let text = "";
  const tokens = ids.map((id): Token => {
    const piece = vocabulary.tokens[id];
    if (!Number.isInteger(id) || piece === undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Token id ${id} is outside the target vocabulary [0, ${vocabulary.tokens.length}).`,
        { hint: "Pass ids the model generated, or ids of its target vocabulary." },
      );
    }
    if (SPECIAL_TOKENS.has(piece)) return { id, text: "", span: null, special: true, piece };
    const start = text.length;
    text += piece;
    return { id, text: piece, span: [start, text.length], special: false, piece };
  });
  return { text, tokens };
}
