import type { TextTokenizer } from "../../language-model/text-tokenizer.ts";
import type { EncoderDecoderTokenizer } from "../family.ts";

/**
 * The sides of a Hugging Face encoder-decoder tokenizer (one tokenizer for source and target:
 * BART, mBART, T5): the source with the special tokens its post-processor adds (`</s>`, BART's
 * `<s>`, mBART-50's language code), a target as a text of its own — not a continuation of the
 * source, so SentencePiece gives its first word the usual prefix space — without special tokens.
 * `targetContinuation`: the tokenizer reads `continuation: true` as "the target side" (Marian,
 * whose target has a SentencePiece model of its own).
 */
export function textTokenizerSides(
  tokenizer: TextTokenizer,
  options: { targetContinuation?: boolean } = {},
): EncoderDecoderTokenizer {
  const targetContinuation = options.targetContinuation ?? false;
  return {
    description: tokenizer.description,
    source: (text, addSpecialTokens) => tokenizer.encode(text, { addSpecialTokens }),
    target: (text) => tokenizer.encode(text, { addSpecialTokens: false, continuation: targetContinuation }),
    decode: (ids) => tokenizer.decode(ids),
    decodeTokens: (ids) => tokenizer.decodeTokens(ids),
  };
}
