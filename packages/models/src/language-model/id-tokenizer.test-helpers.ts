import type { Token } from "@tokenscope/core";
import { continuationTokens, type TextTokenizer } from "./text-tokenizer.ts";

/**
 * A tokenizer for models with random weights, which have no vocabulary: token `n` is the text
 * `<n>`, BOS 1 and EOS 2 as in the tiny test configs. Enough for generation, whose result is
 * decoded; `encode` reads the same notation back.
 */
export function idTextTokenizer(vocabSize: number): TextTokenizer {
  const decode = async (ids: readonly number[]) => ids.map((id) => `<${id}>`).join("");
  const isSpecial = (id: number) => id === 1 || id === 2;
  return {
    vocabSize,
    specialTokens: { bos: 1, eos: [2] },
    description: `ids as text, ${vocabSize} tokens`,
    encode: async (text, { addSpecialTokens }) => {
      const tokens: Token[] = [...text.matchAll(/<(\d+)>/g)].map((match) => {
        const id = Number(match[1]);
        return {
          id,
          text: match[0],
          span: [match.index, match.index + match[0].length],
          special: isSpecial(id),
        };
      });
      return addSpecialTokens ? [{ id: 1, text: "", span: null, special: true }, ...tokens] : tokens;
    },
    decode,
    decodeTokens: (ids, after = []) => continuationTokens(ids, after, decode, isSpecial),
  };
}
