import { type Token, TokenscopeError } from "@tokenscope/core";

/** A word of a text: a maximal run of non-whitespace characters, with its [start, end) span. */
export interface TextWord {
  text: string;
  span: [number, number];
}

/** How the |scores| of a word's tokens combine into the word's importance. */
export type WordScoreReduction = "max" | "sum";

/**
 * The words of `text`: maximal runs of non-whitespace characters, so that punctuation stays with
 * its word ("time)." is one word) and the segmentation depends on the text alone, never on a
 * tokenizer: every model and method is scored over the same words.
 */
export function textWords(text: string): TextWord[] {
  const words: TextWord[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    words.push({ text: match[0], span: [match.index, match.index + match[0].length] });
  }
  return words;
}

// Words are sorted and disjoint: binary search for the first word that ends after `position`.
function firstWordEndingAfter(words: readonly TextWord[], position: number): number {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (words[middle]!.span[1] <= position) low = middle + 1;
    else high = middle;
  }
  return low;
}

function overlaps(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

/**
 * Importance of each word of `text` from token scores: a token counts for every word its character
 * span overlaps; a word's importance is the max (default) or the sum of its tokens' |scores|. Special
 * tokens, tokens without a span and empty (null) cells count for nothing; a word no scored token
 * overlaps gets 0.
 */
export function wordScores(
  text: string,
  tokens: readonly Token[],
  tokenScores: readonly (number | null)[],
  reduce: WordScoreReduction = "max",
): { words: TextWord[]; scores: number[] } {
  if (tokens.length !== tokenScores.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `wordScores: ${tokens.length} tokens but ${tokenScores.length} scores.`,
      { details: { tokens: tokens.length, scores: tokenScores.length } },
    );
  }
  const words = textWords(text);
  const scores = words.map(() => 0);
  tokens.forEach((token, index) => {
    const score = tokenScores[index];
    if (token.special || !token.span || score === null || score === undefined) return;
    if (!Number.isFinite(score)) {
      throw new TokenscopeError("INVALID_INPUT", `Source token ${index} has a non-finite score (${score}).`, {
        details: { index, score },
      });
    }
    const magnitude = Math.abs(score);
    for (
      let w = firstWordEndingAfter(words, token.span[0]);
      w < words.length && words[w]!.span[0] < token.span[1];
      w++
    ) {
      if (!overlaps(words[w]!.span, token.span)) continue;
      scores[w] = reduce === "max" ? Math.max(scores[w]!, magnitude) : scores[w]! + magnitude;
    }
  });
  return { words, scores };
}

/**
 * Checks that every rationale span is a non-empty [start, end) range of integers inside a text of
 * `textLength` characters; throws `INVALID_INPUT` naming the first bad one.
 */
export function checkRationaleSpans(
  rationale: readonly (readonly [number, number])[],
  textLength: number,
): void {
  rationale.forEach((span, index) => {
    const ok =
      Array.isArray(span) &&
      span.length === 2 &&
      Number.isInteger(span[0]) &&
      Number.isInteger(span[1]) &&
      span[0] >= 0 &&
      span[0] < span[1] &&
      span[1] <= textLength;
    if (!ok) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Rationale span ${index} (${JSON.stringify(span)}) is not a non-empty [start, end) range inside the text (${textLength} characters).`,
        {
          hint: "Rationale spans are character offsets into the source text (the prompt), end exclusive.",
          details: { index, span, textLength },
        },
      );
    }
  });
}

/** For each word, whether its span overlaps one of the rationale's character spans. */
export function rationaleMembership(
  words: readonly TextWord[],
  rationale: readonly (readonly [number, number])[],
): boolean[] {
  return words.map((word) => rationale.some((span) => overlaps(word.span, span)));
}

/**
 * The k words of highest score, as membership flags. Ties are broken by position (the earlier word
 * first), so the choice is deterministic; k is clamped to the number of words.
 */
export function topWords(scores: readonly number[], k: number): boolean[] {
  const order = scores.map((_, index) => index).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const chosen = scores.map(() => false);
  for (const index of order.slice(0, Math.max(0, k))) chosen[index] = true;
  return chosen;
}
