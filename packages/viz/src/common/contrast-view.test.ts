import type { SequenceAttribution, Token } from "@tokenscope/core";
import { makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { contrastView } from "./contrast-view.ts";

/** A contrast token with an explicit id (null for a merged unit). */
function token(id: number | null, text: string): Token {
  return { id, text, span: null, special: false };
}

/** Target " the big cat sat" (ids 100..103) with a contrast and contrast_prob_diff step scores. */
function withContrast(
  contrastTokens: Token[],
  alignment: number[],
  sourceText?: string,
): SequenceAttribution {
  const sequence = makeSequence({
    source: ["Look", ":"],
    target: [" the", " big", " cat", " sat"],
    stepScores: { contrast_prob_diff: [0, 0.5, -0.25, null], probability: [0.9, 0.8, 0.7, 0.6] },
  });
  sequence.contrast = {
    targetText: contrastTokens.map((t) => t.text).join(""),
    target: contrastTokens,
    alignment,
    ...(sourceText !== undefined ? { sourceText } : {}),
  };
  return sequence;
}

const labels = (view: ReturnType<typeof contrastView>) =>
  view!.columns.map((column) => [column.step, column.target?.label ?? null, column.contrast?.label ?? null]);

describe("contrastView", () => {
  it("is null for a sequence without a contrast", () => {
    expect(contrastView(makeSequence({ source: ["a"], target: ["b"] }), "probability")).toBeNull();
  });

  it("pairs each target token with the contrast token it faced, in target order, with the scores", () => {
    const view = contrastView(
      withContrast(
        [token(100, " the"), token(7, " small"), token(102, " cat"), token(103, " sat")],
        [0, 1, 2, 3],
      ),
      "contrast_prob_diff",
    )!;
    expect(view.columns).toEqual([
      {
        step: 0,
        target: { label: "␣the", special: false },
        contrastIndex: 0,
        contrast: { label: "␣the", special: false },
        differs: false,
        score: 0,
      },
      {
        step: 1,
        target: { label: "␣big", special: false },
        contrastIndex: 1,
        contrast: { label: "␣small", special: false },
        differs: true,
        score: 0.5,
      },
      {
        step: 2,
        target: { label: "␣cat", special: false },
        contrastIndex: 2,
        contrast: { label: "␣cat", special: false },
        differs: false,
        score: -0.25,
      },
      {
        step: 3,
        target: { label: "␣sat", special: false },
        contrastIndex: 3,
        contrast: { label: "␣sat", special: false },
        differs: false,
        score: null,
      },
    ]);
    expect(view.unaligned).toEqual([]);
    expect(view.scoreLabel).toBe("contrast_prob_diff");
    expect(view.sourceText).toBeNull();
  });

  it("places a contrast token no target token faces where it stands, and lets tokens share one", () => {
    // Contrast " the very big cat": " very" (1) faces no target token; " cat" and " sat" both face " cat" (3).
    const view = contrastView(
      withContrast(
        [token(100, " the"), token(9, " very"), token(101, " big"), token(102, " cat")],
        [0, 2, 3, 3],
      ),
      "contrast_prob_diff",
    )!;
    expect(labels(view)).toEqual([
      [0, "␣the", "␣the"],
      [null, null, "␣very"],
      [1, "␣big", "␣big"],
      [2, "␣cat", "␣cat"],
      [3, "␣sat", "␣cat"],
    ]);
    expect(view.columns.map((column) => column.differs)).toEqual([false, true, false, false, true]);
    expect(view.columns[1]).toMatchObject({ contrastIndex: 1, score: null });
    expect(view.unaligned).toEqual([{ index: 1, token: { label: "␣very", special: false } }]);
  });

  it("puts contrast tokens after the last faced one at the end, in order", () => {
    const view = contrastView(
      withContrast(
        [
          token(100, " the"),
          token(101, " big"),
          token(102, " cat"),
          token(103, " sat"),
          token(5, "!"),
          token(6, "?"),
        ],
        [0, 1, 2, 3],
      ),
      null,
    )!;
    expect(labels(view).slice(4)).toEqual([
      [null, null, "!"],
      [null, null, "?"],
    ]);
    expect(view.unaligned.map((entry) => entry.index)).toEqual([4, 5]);
    // No attributed function: no scores at all.
    expect(view.columns.every((column) => column.score === null)).toBe(true);
    expect(view.scoreLabel).toBeNull();
  });

  it("compares texts where an id is null (merged units), ids otherwise", () => {
    const sequence = withContrast(
      [token(null, " the"), token(null, " bug"), token(999, " cat"), token(103, " mat")],
      [0, 1, 2, 3],
    );
    sequence.target[2] = { ...sequence.target[2]!, id: null };
    const view = contrastView(sequence, "contrast_prob_diff")!;
    // " the" = " the" by text; " big" ≠ " bug" by text; " cat" (id null) = " cat" by text although
    // the contrast's id differs; " sat" (103) = " mat" (103) by id although the texts differ.
    expect(view.columns.map((column) => column.differs)).toEqual([false, true, false, false]);
  });

  it("treats an alignment that names no contrast token as differing, with no contrast token", () => {
    const view = contrastView(withContrast([token(100, " the")], [0, 5, -1, 0.5]), null)!;
    expect(view.columns.map((column) => [column.contrastIndex, column.contrast, column.differs])).toEqual([
      [0, { label: "␣the", special: false }, false],
      [null, null, true],
      [null, null, true],
      [null, null, true],
    ]);
  });

  it("escapes hostile labels and the contrast source", () => {
    const view = contrastView(
      withContrast([token(1, "\u001b[31mred\r\u0007"), token(2, "\t")], [0, 1, 1, 1], "a\u001b]0;x\u0007\nb"),
      null,
    )!;
    expect(view.columns[0]!.contrast!.label).toBe("␛[31mred↵␇");
    expect(view.columns[1]!.contrast!.label).toBe("⇥");
    expect(view.sourceText).toBe("a␛]0;x␇↵b");
    const strings = view.columns.flatMap((column) => [column.target?.label, column.contrast?.label]);
    for (const text of [...strings, view.sourceText])
      expect([...(text ?? "")].every((char) => char.codePointAt(0)! >= 0x20)).toBe(true);
  });
});
