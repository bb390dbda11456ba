import { z } from "zod";
import type { Token } from "../model/token.ts";
import {
  mergeUnits,
  type UnitGroups,
  unitMergingDescription,
  unitReductionParameters,
} from "./merge-units.ts";
import type { Aggregator } from "./types.ts";

const parameters = z.strictObject({ ...unitReductionParameters });

/** Parameters of {@link sentences}. */
export type SentencesParameters = z.infer<typeof parameters>;

/**
 * Character offsets at which a sentence ends in `text`: after ".", "!" or "?"
 * followed by whitespace or the end of the text, and after every newline.
 */
export function sentenceBoundaries(text: string): number[] {
  const boundaries: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    const next = text[index + 1];
    if (char === "\n" || (/[.!?]/.test(char) && (next === undefined || /\s/.test(next)))) {
      boundaries.push(index + 1);
    }
  }
  return boundaries;
}

// Without spans, the same rule read from the token texts alone.
function endsSentenceByText(before: string, next: string): boolean {
  return /\n\s*$|[.!?]\s+$/.test(before) || (/[.!?]$/.test(before) && /^\s/.test(next));
}

const isBlank = (token: Token): boolean => token.text.trim() === "";

/**
 * Groups tokens into sentences: a token opens a new sentence when a sentence
 * boundary lies after the start of the last non-blank token and at or before
 * its own start. Special tokens are their own unit; whitespace-only tokens
 * never open a sentence, so the whitespace between sentences stays with the
 * sentence before it.
 */
export function sentenceGroups(tokens: Token[], text: string): UnitGroups {
  const boundaries = sentenceBoundaries(text);
  const groups: UnitGroups = [];
  // The last non-blank token of the current unit, and the texts from it on.
  let anchor: Token | undefined;
  let tail = "";
  tokens.forEach((token, index) => {
    const previous = tokens[index - 1];
    let starts = !previous || !anchor || token.special || previous.special;
    if (!starts && !isBlank(token)) {
      if (anchor?.span && token.span) {
        const [after, upTo] = [anchor.span[0], token.span[0]];
        starts = boundaries.some((boundary) => boundary > after && boundary <= upTo);
      } else {
        starts = endsSentenceByText(tail, token.text);
      }
    }
    if (starts) groups.push([index]);
    else groups[groups.length - 1]!.push(index);
    if (!isBlank(token) || starts) {
      anchor = token;
      tail = token.text;
    } else {
      tail += token.text;
    }
  });
  return groups;
}

/** Merges source and target tokens into sentences. */
export const sentences: Aggregator<SentencesParameters> = {
  id: "sentences",
  kind: "units",
  summary: "Merges tokens into sentences (split after . ! ? followed by whitespace, and after newlines).",
  description: `Merges source and target tokens into sentences, read from the text and the token spans: a sentence ends after ".", "!" or "?" followed by whitespace or the end of the text ("3.5" does not split), and after every newline. A token of whitespace only (a newline, a blank line) stays with the sentence before it; other whitespace after a boundary goes with the next sentence (GPT-style " word" tokens). Special tokens are their own unit. Tokens without spans fall back to the same rule on their text. ${unitMergingDescription}`,
  parameters,
  apply(sequence, { reduce, stepScores }) {
    return mergeUnits(
      sequence,
      sentenceGroups(sequence.source, sequence.sourceText),
      sentenceGroups(sequence.target, sequence.targetText),
      { reduce, stepScores },
      'Aggregator "sentences"',
    );
  },
};
