import { type SequenceAttribution, seededUniform, type Token, TokenscopeError } from "@tokenscope/core";
import { plausibilityMetrics } from "./metrics.ts";
import type { PlausibilityScores, WordRationale } from "./types.ts";
import {
  checkRationaleSpans,
  rationaleMembership,
  type TextWord,
  topWords,
  type WordScoreReduction,
  wordScores,
} from "./words.ts";

/** A human rationale: [start, end) character spans into the source text. */
export type RationaleSpans = readonly (readonly [number, number])[];

/** Options of {@link plausibility}. */
export interface PlausibilityOptions {
  /**
   * Size k of the predicted rationale (the k most important words). Default "rationale-size": k is
   * the number of words in the human rationale, the usual choice when comparing with human
   * rationales (DeYoung et al. 2020 take top-k with k from the human rationales), under which
   * precision, recall and F1 coincide. A number is clamped to the number of words.
   */
  topK?: number | "rationale-size";
  /**
   * How a word's token |scores| combine: "max" (default: a word is as important as its most
   * important piece, Inseq's absmax merge of subwords; Vafa et al. 2021 count a word as chosen when
   * any of its pieces is) or "sum" (the word's attribution mass).
   */
  wordScore?: WordScoreReduction;
}

/** A {@link WordRationale} with the words it is about and the k used. */
export interface WordRationaleDetails extends WordRationale {
  words: TextWord[];
  k: number;
}

function resolveK(topK: PlausibilityOptions["topK"], humanSize: number, wordCount: number): number {
  if (topK === undefined || topK === "rationale-size") return humanSize;
  if (!Number.isInteger(topK) || topK < 1) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `topK must be a positive integer or "rationale-size", got ${String(topK)}.`,
      {
        details: { topK },
      },
    );
  }
  return Math.min(topK, wordCount);
}

/**
 * The word-level rationale comparison for given source token scores: words of `sourceText`
 * (whitespace-separated), their importance from the tokens' |scores|, membership in the human
 * rationale (a word is in it when its span overlaps a rationale span) and the predicted rationale
 * (the top-k words, ties broken by position).
 */
export function wordRationaleFromScores(
  sourceText: string,
  source: readonly Token[],
  tokenScores: readonly (number | null)[],
  rationale: RationaleSpans,
  options: PlausibilityOptions = {},
): WordRationaleDetails {
  checkRationaleSpans(rationale, sourceText.length);
  const { words, scores } = wordScores(sourceText, source, tokenScores, options.wordScore ?? "max");
  const human = rationaleMembership(words, rationale);
  const humanSize = human.filter(Boolean).length;
  if (humanSize === 0) {
    throw new TokenscopeError("INVALID_INPUT", "The human rationale covers no word of the source text.", {
      hint: "Rationale spans are character offsets into the source text (the prompt the attribution ran on).",
      details: { rationale, sourceLength: sourceText.length },
    });
  }
  const k = resolveK(options.topK, humanSize, words.length);
  return { words, scores, human, predicted: topWords(scores, k), k };
}

function scoresOf(rationale: WordRationale): PlausibilityScores {
  const values = Object.fromEntries(
    plausibilityMetrics.map((metric) => [metric.id, metric.compute(rationale)]),
  );
  return values as unknown as PlausibilityScores;
}

function attributedRow(sequence: SequenceAttribution, step: number): (number | null)[] {
  if (!Number.isInteger(step) || step < 0 || step >= sequence.target.length) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Step ${String(step)} is not a target position of this sequence (it has ${sequence.target.length} targets).`,
      { details: { step, targets: sequence.target.length } },
    );
  }
  const row = sequence.sourceAttributions[step];
  if (!row || row.every((cell) => cell === null)) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Step ${step} has no source attributions (it was not attributed).`,
      {
        hint: "Attribute that step (the `steps` option of attribute) or choose one that was attributed.",
        details: { step },
      },
    );
  }
  return row;
}

/**
 * The word-level comparison behind {@link plausibility}, for inspection: words, their importance at
 * `step` over the source, human and predicted memberships, and k.
 */
export function wordRationale(
  sequence: SequenceAttribution,
  step: number,
  rationale: RationaleSpans,
  options: PlausibilityOptions = {},
): WordRationaleDetails {
  return wordRationaleFromScores(
    sequence.sourceText,
    sequence.source,
    attributedRow(sequence, step),
    rationale,
    options,
  );
}

/**
 * Plausibility of the attribution of one target step against a human rationale, over words: F1 and
 * IOU between the predicted rationale (the top-k words by importance, k = the human rationale's size
 * by default) and the human words, and AUPRC (average precision) of the word importances against the
 * human words. Importance is the step's source row (target-prefix cells are not part of the text the
 * rationale marks), aggregated to the words of `sequence.sourceText` from the tokens' character
 * spans with max |score| (see {@link PlausibilityOptions.wordScore}). `rationale` holds character
 * spans into `sequence.sourceText`. For a target word of several tokens, attribute its first token or
 * merge target tokens into words first (the `words` aggregator) and pass the word's step.
 */
export function plausibility(
  sequence: SequenceAttribution,
  step: number,
  rationale: RationaleSpans,
  options: PlausibilityOptions = {},
): PlausibilityScores {
  return scoresOf(wordRationale(sequence, step, rationale, options));
}

/** Options of {@link randomPlausibility}. */
export interface RandomPlausibilityOptions extends PlausibilityOptions {
  /** Seed of the uniform noise (default 0). */
  seed?: number;
}

/**
 * The random baseline of {@link plausibility}, computed the same way: source token importance =
 * softmax of uniform noise (as ReAGent's random baseline; the softmax does not change the ranking),
 * one draw per call from `seed`, then the same word aggregation, top-k and metrics.
 */
export function randomPlausibility(
  sequence: Pick<SequenceAttribution, "sourceText" | "source">,
  rationale: RationaleSpans,
  options: RandomPlausibilityOptions = {},
): PlausibilityScores {
  const uniform = seededUniform(options.seed ?? 0);
  const noise = sequence.source.map(() => Math.exp(uniform()));
  const total = noise.reduce((sum, value) => sum + value, 0);
  const scores = noise.map((value) => value / total);
  return scoresOf(wordRationaleFromScores(sequence.sourceText, sequence.source, scores, rationale, options));
}
