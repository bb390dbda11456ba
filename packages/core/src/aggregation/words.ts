import { z } from "zod";
import type { Token } from "../model/token.ts";
import {
  mergeUnits,
  type UnitGroups,
  unitMergingDescription,
  unitReductionParameters,
} from "./merge-units.ts";
import type { Aggregator } from "./types.ts";

/** Markers that open a word in tokenizers that keep them in token text: SentencePiece, GPT-2 space, GPT-2 newline. */
export const defaultWordMarkers = ["▁", "Ġ", "Ċ"];

const parameters = z.strictObject({
  strategy: z
    .enum(["spans", "markers"])
    .default("spans")
    .describe(
      '"spans": word starts found from character spans and the text; "markers": from "▁"/"Ġ" markers kept in token text.',
    ),
  markers: z
    .array(z.string().min(1))
    .default(defaultWordMarkers)
    .describe('Word-start markers for strategy "markers".'),
  ...unitReductionParameters,
});

/** Parameters of {@link words}. */
export type WordsParameters = z.infer<typeof parameters>;

/** Options of {@link wordGroups}. */
export interface WordGroupOptions {
  strategy: "spans" | "markers";
  markers: readonly string[];
}

const startsWithSpace = (value: string): boolean => /^\s/.test(value);
// A word also ends after whitespace or GPT-2's newline marker, so "\n" never glues to the next word.
const endsWithSpace = (value: string): boolean => /(\s|Ċ)$/.test(value);

function startsNewWord(previous: Token, token: Token, text: string, options: WordGroupOptions): boolean {
  if (token.special || previous.special) return true;
  if (startsWithSpace(token.text) || endsWithSpace(previous.text)) return true;
  if (options.strategy === "markers") return options.markers.some((marker) => token.text.startsWith(marker));
  if (!previous.span || !token.span) return false;
  // Offsets of some tokenizers include the leading space in the span but not in `text`.
  const gap = text.slice(previous.span[1], token.span[0]);
  const tokenText = text.slice(token.span[0], token.span[1]);
  const previousText = text.slice(previous.span[0], previous.span[1]);
  return /\s/.test(gap) || startsWithSpace(tokenText) || /\s$/.test(previousText);
}

/**
 * Groups tokens into words (see {@link words} for the rules). `text` is the
 * text the token spans refer to.
 */
export function wordGroups(tokens: Token[], text: string, options: WordGroupOptions): UnitGroups {
  const groups: UnitGroups = [];
  tokens.forEach((token, index) => {
    const previous = tokens[index - 1];
    if (!previous || startsNewWord(previous, token, text, options)) groups.push([index]);
    else groups[groups.length - 1]!.push(index);
  });
  return groups;
}

/** Subword-to-word merging of source and target tokens. */
export const words: Aggregator<WordsParameters> = {
  id: "words",
  kind: "units",
  summary: "Merges subword tokens into words (source and target), from character spans or from word markers.",
  description: `Merges subword tokens into words. Strategy "spans" (default; needs tokens with character spans, as tokenscope's tokenizers give): a token starts a new word when the text between the previous token's span end and its span start holds whitespace, when its text (or the text under its span) starts with whitespace, or when the previous token ends with whitespace. Strategy "markers": a token starts a new word when its text starts with one of \`markers\` (default "▁", "Ġ", "Ċ") or with whitespace, for tokenizers that keep markers in token text. Under both, special tokens (BOS, EOS, chat markers) are always their own unit, and a token after whitespace or a newline starts a new word. Punctuation is not split off: it attaches to the preceding word ("world," is one word) unless whitespace precedes it. ${unitMergingDescription}`,
  parameters,
  apply(sequence, { strategy, markers, reduce, stepScores }) {
    const options = { strategy, markers };
    return mergeUnits(
      sequence,
      wordGroups(sequence.source, sequence.sourceText, options),
      wordGroups(sequence.target, sequence.targetText, options),
      { reduce, stepScores },
      'Aggregator "words"',
    );
  },
};
