import { describe, expect, it } from "vitest";
import type { Token } from "../model/token.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { parseParameters } from "../schema/parameters.ts";
import { makeSequence, roundMatrix } from "../testing/fixtures.ts";
import { defaultWordMarkers, wordGroups, words } from "./words.ts";

const spansStrategy = { strategy: "spans", markers: defaultWordMarkers } as const;
const markersStrategy = { strategy: "markers", markers: defaultWordMarkers } as const;

function tokens(list: [string, [number, number] | null, boolean?][]): Token[] {
  return list.map(([text, span, special], index) => ({ id: index, text, span, special: special ?? false }));
}

describe("wordGroups on SentencePiece-style tokens", () => {
  const text = "Hello world";

  it('"markers" starts a word at "▁" kept in the token text', () => {
    const pieces = tokens([
      ["▁Hello", [0, 5]],
      ["▁wor", [6, 9]],
      ["ld", [9, 11]],
    ]);
    expect(wordGroups(pieces, text, markersStrategy)).toEqual([[0], [1, 2]]);
  });

  it('"spans" starts a word where whitespace separates the spans', () => {
    const pieces = tokens([
      ["Hello", [0, 5]],
      ["wor", [6, 9]],
      ["ld", [9, 11]],
    ]);
    expect(wordGroups(pieces, text, spansStrategy)).toEqual([[0], [1, 2]]);
    // The same clean texts carry no markers, so "markers" sees one word: the strategies differ.
    expect(wordGroups(pieces, text, markersStrategy)).toEqual([[0, 1, 2]]);
  });

  it('"spans" also sees a space inside the span when the token text drops it', () => {
    const pieces = tokens([
      ["Hello", [0, 5]],
      ["wor", [5, 9]],
      ["ld", [9, 11]],
    ]);
    expect(wordGroups(pieces, text, spansStrategy)).toEqual([[0], [1, 2]]);
  });
});

describe("wordGroups on GPT-2 byte-level tokens", () => {
  const text = "Hello world, (x)\nNext";
  const spans: [number, number][] = [
    [0, 5],
    [5, 9],
    [9, 11],
    [11, 12],
    [12, 14],
    [14, 15],
    [15, 16],
    [16, 17],
    [17, 21],
  ];
  const expected = [[0], [1, 2, 3], [4, 5, 6], [7], [8]];

  it('"markers" reads "Ġ" and "Ċ"; punctuation attaches to the word before it', () => {
    const marked = ["Hello", "Ġwor", "ld", ",", "Ġ(", "x", ")", "Ċ", "Next"];
    const pieces = tokens(marked.map((piece, index) => [piece, spans[index]!]));
    expect(wordGroups(pieces, text, markersStrategy)).toEqual(expected);
  });

  it('"spans" finds the same words from the text', () => {
    const clean = ["Hello", " wor", "ld", ",", " (", "x", ")", "\n", "Next"];
    const pieces = tokens(clean.map((piece, index) => [piece, spans[index]!]));
    expect(wordGroups(pieces, text, spansStrategy)).toEqual(expected);
  });
});

describe("wordGroups edge cases", () => {
  it("special tokens are always their own unit", () => {
    const pieces = tokens([
      ["<s>", null, true],
      ["<|user|>", [0, 0], true],
      ["Hi", [0, 2]],
      ["</s>", [2, 2], true],
    ]);
    expect(wordGroups(pieces, "Hi", spansStrategy)).toEqual([[0], [1], [2], [3]]);
    expect(wordGroups(pieces, "Hi", markersStrategy)).toEqual([[0], [1], [2], [3]]);
  });

  it("punctuation preceded by whitespace starts a word", () => {
    const pieces = tokens([
      ["Hello", [0, 5]],
      [",", [6, 7]],
      ["x", [7, 8]],
    ]);
    expect(wordGroups(pieces, "Hello ,x", spansStrategy)).toEqual([[0], [1, 2]]);
  });
});

describe("words aggregator", () => {
  const sequence = makeSequence({
    source: [{ text: "<s>", span: null, special: true }, "Hello", " wor", "ld"],
    target: [" it", "'s", " fine"],
    sourceAttributions: [
      [0.1, 1, 2, 3],
      [0.2, 4, 5, 6],
      [0.3, 7, 8, 9],
    ],
    targetAttributions: [
      [null, null, null],
      [1, null, null],
      [2, 3, null],
    ],
    stepScores: { probability: [0.9, 0.5, 0.2] },
  });

  it("merges source and target words with the defaults (spans, absmax, each step score's own rule)", () => {
    registerCoreBuiltins();
    const parameters = parseParameters(words.parameters, {}, "words");
    expect(parameters).toEqual({
      strategy: "spans",
      markers: ["▁", "Ġ", "Ċ"],
      reduce: "absmax",
      stepScores: "auto",
    });
    const merged = words.apply(sequence, parameters);
    expect(merged.source.map((token) => token.text)).toEqual(["<s>", "Hello", " world"]);
    expect(merged.target.map((token) => [token.text, token.members])).toEqual([
      [" it's", [0, 1]],
      [" fine", [2]],
    ]);
    // Inseq's absmax: the signed cell of largest magnitude in each block.
    expect(roundMatrix(merged.sourceAttributions)).toEqual([
      [0.2, 4, 6],
      [0.3, 7, 9],
    ]);
    expect(merged.targetAttributions).toEqual([
      [null, null],
      [3, null],
    ]);
    // probability merges by product (Inseq's aggregate map): p(" it's") = p(" it") · p("'s").
    expect(merged.stepScores.probability![0]).toBeCloseTo(0.45, 12);
    expect(merged.stepScores.probability![1]).toBeCloseTo(0.2, 12);
  });

  it("sums cells and averages step scores when asked", () => {
    const parameters = parseParameters(words.parameters, { reduce: "sum", stepScores: "mean" }, "words");
    const merged = words.apply(sequence, parameters);
    expect(roundMatrix(merged.sourceAttributions)).toEqual([
      [0.3, 5, 16],
      [0.3, 7, 17],
    ]);
    expect(merged.targetAttributions).toEqual([
      [null, null],
      [5, null],
    ]);
    expect(merged.stepScores.probability).toEqual([0.7, 0.2]);
  });

  it("merges step scores by each step function's rule under auto: sum for nats, absmax for unknown ids", () => {
    registerCoreBuiltins();
    const scored = {
      ...sequence,
      stepScores: { entropy: [1, 2, 4], deltas: [0.5, -3, 1], logit: [2, -1, 0] },
    };
    const merged = words.apply(scored, parseParameters(words.parameters, {}, "words"));
    expect(merged.stepScores).toEqual({ entropy: [3, 4], deltas: [-3, 1], logit: [2, 0] });
  });

  it("documents its defaults and rules", () => {
    expect(words.description).toMatch(/stepScores.*default "auto"/);
    expect(words.description).toMatch(/absmax, as Inseq/);
    expect(words.description).toMatch(/Punctuation/);
  });
});
