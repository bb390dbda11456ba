import type { SequenceAttribution, Token } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { plausibilityMetrics } from "./metrics.ts";
import { plausibility, randomPlausibility, wordRationale } from "./plausibility.ts";
import { textWords, wordScores } from "./words.ts";

// "The cat sat on the mat." — words: The [0,3) cat [4,7) sat [8,11) on [12,14) the [15,18) mat. [19,23)
const sourceText = "The cat sat on the mat.";
const token = (text: string, span: [number, number] | null, special = false): Token => ({
  id: 0,
  text,
  span,
  special,
});
const source: Token[] = [
  token("<s>", null, true),
  token("The", [0, 3]),
  token(" cat", [3, 7]),
  token(" s", [7, 9]),
  token("at", [9, 11]),
  token(" on", [11, 14]),
  token(" the", [14, 18]),
  token(" mat", [18, 22]),
  token(".", [22, 23]),
];
// BOS is special (ignored); "sat" = max(|0.2|, |-0.3|) = 0.3; "mat." = max(0.4, 0.45) = 0.45.
const row = [0.9, 0.1, -0.5, 0.2, -0.3, 0.05, 0, 0.4, 0.45];

function sequenceWith(rows: (number | null)[][]): SequenceAttribution {
  return {
    sourceText,
    targetText: " It",
    source,
    target: rows.map(() => token(" It", [0, 3])),
    sourceAttributions: rows,
    targetAttributions: null,
    stepScores: {},
    extras: {},
    aggregation: [],
  };
}

// Human rationale: "sat" and "mat" (the span stops before the full stop).
const rationale: [number, number][] = [
  [8, 11],
  [19, 22],
];

describe("textWords and wordScores", () => {
  it("splits on whitespace, keeping punctuation with its word", () => {
    expect(textWords(sourceText).map((word) => word.text)).toEqual([
      "The",
      "cat",
      "sat",
      "on",
      "the",
      "mat.",
    ]);
    expect(textWords(" a\n\nb ")).toEqual([
      { text: "a", span: [1, 2] },
      { text: "b", span: [4, 5] },
    ]);
  });

  it("takes the max |score| of a word's tokens (or the sum) and skips special tokens and nulls", () => {
    expect(wordScores(sourceText, source, row).scores).toEqual([0.1, 0.5, 0.3, 0.05, 0, 0.45]);
    const sum = wordScores(sourceText, source, row, "sum").scores;
    for (const [i, value] of [0.1, 0.5, 0.5, 0.05, 0, 0.85].entries()) expect(sum[i]).toBeCloseTo(value, 12);
    const withNull: (number | null)[] = [...row];
    withNull[2] = null;
    expect(wordScores(sourceText, source, withNull).scores[1]).toBe(0);
  });

  it("credits a token to every word its span overlaps, in any token order", () => {
    const straddling = [token("e c", [2, 5])];
    expect(wordScores(sourceText, straddling, [0.7]).scores).toEqual([0.7, 0.7, 0, 0, 0, 0]);
    const shuffled = [token(" mat", [18, 22]), token("The", [0, 3])];
    expect(wordScores(sourceText, shuffled, [0.4, 0.1]).scores).toEqual([0.1, 0, 0, 0, 0, 0.4]);
  });
});

describe("plausibility", () => {
  it("scores the top-|H| words against the human words (hand-computed)", () => {
    const details = wordRationale(sequenceWith([row]), 0, rationale);
    expect(details.human).toEqual([false, false, true, false, false, true]);
    // Top 2 by importance: cat (0.5) and mat. (0.45).
    expect(details.predicted).toEqual([false, true, false, false, false, true]);
    expect(details.k).toBe(2);
    const scores = plausibility(sequenceWith([row]), 0, rationale);
    // |P ∩ H| = 1: F1 = 2·1/(2+2) = 1/2, IOU = 1/(2+2-1) = 1/3.
    expect(scores.f1).toBeCloseTo(0.5, 12);
    expect(scores.iou).toBeCloseTo(1 / 3, 12);
    // Ranking cat(-) mat.(+) sat(+) ...: 0.45 -> P=1/2 R=1/2; 0.3 -> P=2/3 R=1: AP = 1/4 + 1/3.
    expect(scores.auprc).toBeCloseTo(1 / 4 + 1 / 3, 12);
    expect(Object.keys(scores)).toEqual(plausibilityMetrics.map((metric) => metric.id));
  });

  it("breaks ties by position and follows the word-score option", () => {
    // Sum: The .1, cat .5, sat .5, on .05, the 0, mat. .85; top 2 = mat. and cat (tied with sat, earlier).
    const scores = plausibility(sequenceWith([row]), 0, rationale, { wordScore: "sum" });
    expect(scores.f1).toBeCloseTo(0.5, 12);
    // 0.85 (+): P=1 R=1/2; 0.5 (cat -, sat +): P=2/3 R=1. AP = 1/2 + 1/2·2/3.
    expect(scores.auprc).toBeCloseTo(1 / 2 + 1 / 3, 12);
  });

  it("takes a fixed k", () => {
    const scores = plausibility(sequenceWith([row]), 0, rationale, { topK: 3 });
    // P = {cat, mat., sat}: |P ∩ H| = 2: F1 = 4/5, IOU = 2/3.
    expect(scores.f1).toBeCloseTo(0.8, 12);
    expect(scores.iou).toBeCloseTo(2 / 3, 12);
    expect(plausibility(sequenceWith([row]), 0, rationale, { topK: 99 }).iou).toBeCloseTo(2 / 6, 12);
    expect(() => plausibility(sequenceWith([row]), 0, rationale, { topK: 0 })).toThrow(/positive integer/);
  });

  it("handles an all-zero row: the first k words, AUPRC the positive rate", () => {
    const scores = plausibility(sequenceWith([row.map(() => 0)]), 0, rationale);
    // Predicted = {The, cat}: no overlap with {sat, mat.}.
    expect(scores.f1).toBe(0);
    expect(scores.iou).toBe(0);
    expect(scores.auprc).toBeCloseTo(2 / 6, 12);
  });

  it("uses the chosen step's row", () => {
    const perfect = [0, 0, 0, 0.6, 0, 0, 0, 0.7, 0];
    const scores = plausibility(sequenceWith([row, perfect]), 1, rationale);
    expect(scores).toEqual({ f1: 1, iou: 1, auprc: 1 });
  });

  it("rejects bad steps, unattributed steps and rationales outside the text or covering no word", () => {
    const sequence = sequenceWith([row, row.map(() => null)]);
    expect(() => plausibility(sequence, 2, rationale)).toThrow(/not a target position/);
    expect(() => plausibility(sequence, 1, rationale)).toThrow(/no source attributions/);
    expect(() => plausibility(sequence, 0, [[20, 30]])).toThrow(/inside the text/);
    expect(() => plausibility(sequence, 0, [[5, 5]])).toThrow(/non-empty/);
    expect(() => plausibility(sequence, 0, [[3, 4]])).toThrow(/covers no word/);
  });
});

describe("randomPlausibility", () => {
  it("is deterministic for a seed and in [0, 1]", () => {
    const sequence = sequenceWith([row]);
    const a = randomPlausibility(sequence, rationale, { seed: 3 });
    expect(randomPlausibility(sequence, rationale, { seed: 3 })).toEqual(a);
    for (const value of Object.values(a)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(randomPlausibility(sequence, rationale, { seed: 4 })).not.toEqual(a);
    // Noise is drawn per token and words take the max, so words of several tokens (here both human
    // words, "sat" and "mat.") rank high more often than one-token words: the baseline sees the
    // same tokenization as the method it is compared with.
    let total = 0;
    for (let seed = 0; seed < 400; seed++) total += randomPlausibility(sequence, rationale, { seed }).f1;
    expect(total / 400).toBeGreaterThan(2 / 6);
    expect(total / 400).toBeLessThan(0.6);
  });
});
