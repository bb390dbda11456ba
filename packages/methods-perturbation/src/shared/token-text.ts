import type { Token } from "@tokenscope/core";

/**
 * The text that `tokens`' character spans refer to, rebuilt from the tokens
 * alone (a method sees tokens, not the prompt): each token's text is written at
 * its span and the gaps are spaces. When a span is longer than the token's
 * text (tokenizers that put the leading space in the span), the text is
 * right-aligned in it, so the space stays in front.
 */
export function textOfTokens(tokens: readonly Token[]): string {
  const end = Math.max(0, ...tokens.map((token) => token.span?.[1] ?? 0));
  const chars = new Array<string>(end).fill(" ");
  for (const token of tokens) {
    if (!token.span) continue;
    const [start, stop] = token.span;
    const width = stop - start;
    const piece = token.text.length > width ? token.text.slice(token.text.length - width) : token.text;
    const offset = stop - piece.length;
    for (let index = 0; index < piece.length; index++) chars[offset + index] = piece[index]!;
  }
  return chars.join("");
}
