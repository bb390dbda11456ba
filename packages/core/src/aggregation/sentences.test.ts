import { describe, expect, it } from "vitest";
import type { Token } from "../model/token.ts";
import { makeSequence } from "../testing/fixtures.ts";
import { sentenceBoundaries, sentenceGroups, sentences } from "./sentences.ts";

const text = "Hi there. Pi is 3.14! Ok?\nNew line";
const pieces = ["Hi", " there", ".", " Pi", " is", " 3", ".", "14", "!", " Ok", "?", "\n", "New", " line"];

describe("sentenceBoundaries", () => {
  it("ends sentences after . ! ? followed by whitespace or the end, and after newlines", () => {
    // "." at 8 (then a space), "!" at 20, "?" at 24, "\n" at 25; "3.14" does not split.
    expect(sentenceBoundaries(text)).toEqual([9, 21, 25, 26]);
    expect(sentenceBoundaries("Done.")).toEqual([5]);
    expect(sentenceBoundaries("e.g.x")).toEqual([]);
  });
});

describe("sentenceGroups", () => {
  it("splits tokens at the boundaries, the newline staying with its sentence", () => {
    const sequence = makeSequence({ source: pieces, target: ["x"] });
    expect(sequence.sourceText).toBe(text);
    expect(sentenceGroups(sequence.source, text)).toEqual([
      [0, 1, 2],
      [3, 4, 5, 6, 7, 8],
      [9, 10, 11],
      [12, 13],
    ]);
  });

  it("a separate space token after a full stop does not hide the boundary", () => {
    const sequence = makeSequence({ source: ["Hi", ".", " ", "Bye"], target: ["x"] });
    expect(sentenceGroups(sequence.source, sequence.sourceText)).toEqual([[0, 1, 2], [3]]);
  });

  it("special tokens are their own unit", () => {
    const sequence = makeSequence({
      source: [{ text: "<s>", span: null, special: true }, "Hi.", " Yo"],
      target: ["x"],
    });
    expect(sentenceGroups(sequence.source, sequence.sourceText)).toEqual([[0], [1], [2]]);
  });

  it("falls back to token texts when spans are missing", () => {
    const bare: Token[] = ["Hi.", " Yes", "no", "\n", "Ok"].map((piece, id) => ({
      id,
      text: piece,
      span: null,
      special: false,
    }));
    expect(sentenceGroups(bare, "")).toEqual([[0], [1, 2, 3], [4]]);
  });
});

describe("sentences aggregator", () => {
  it("merges source and target sentences with their scores and step scores", () => {
    const sequence = makeSequence({
      source: ["A b.", " C d.", " E"],
      target: [" F.", " G", " h."],
      sourceAttributions: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      targetAttributions: [
        [null, null, null],
        [1, null, null],
        [2, 4, null],
      ],
      stepScores: { probability: [0.1, 0.2, 0.6] },
    });
    const merged = sentences.apply(sequence, { reduce: "mean", stepScores: "last" });
    expect(merged.source.map((token) => token.text)).toEqual(["A b.", " C d.", " E"]);
    expect(merged.target.map((token) => [token.text, token.members])).toEqual([
      [" F.", [0]],
      [" G h.", [1, 2]],
    ]);
    expect(merged.sourceAttributions).toEqual([
      [1, 2, 3],
      [5.5, 6.5, 7.5],
    ]);
    expect(merged.targetAttributions).toEqual([
      [null, null],
      [1.5, null],
    ]);
    expect(merged.stepScores.probability).toEqual([0.1, 0.6]);
  });
});
