import { isTokenscopeError } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { Ansis } from "ansis";
import { interpolateRdBu } from "d3-scale-chromatic";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { parseRgb } from "../common/color-scale.ts";
import { renderColoredText, topTokenIndices } from "./colored-text.ts";

const plain = new Ansis(0);

const cat = makeResult([
  makeSequence({
    source: ["The", " cat", " sat", " on"],
    target: [" the", " mat"],
    sourceAttributions: [
      [0.2, 0.1, 0.3, 0.05],
      [0.1, 0.9, -0.5, 0.05],
    ],
    targetAttributions: [
      [null, null],
      [0.3, null],
    ],
    stepScores: { probability: [0.8, 0.4] },
  }),
]);

describe("topTokenIndices", () => {
  it("ranks by |score|, earlier first on ties, skipping empty and non-finite scores", () => {
    expect(topTokenIndices([0.1, -0.9, null, 0.9, Number.NaN, 0.5], 3)).toEqual([1, 3, 5]);
    expect(topTokenIndices([null, 0.2], 3)).toEqual([1]);
  });
});

describe("renderColoredText, plain text", () => {
  it("brackets the three most important tokens, then the target, its step scores and the top list", () => {
    expect(renderColoredText(cat, { color: 0, step: 1 })).toBe(
      [
        "Sequence 0 · step 1 · 2 generated tokens",
        "The [cat] [sat] on [the] → ␣mat (probability 0.40)",
        "top: 1. ␣cat 0.90 · 2. ␣sat -0.50 · 3. ␣the 0.30",
        "scale -0.90 … 0 … 0.90 · min -0.50 · max 0.90",
        "",
      ].join("\n"),
    );
  });

  it("leaves the generated prefix out when asked, and follows top and stepScores", () => {
    expect(
      renderColoredText(cat, { color: 0, step: 1, showTargetPrefix: false, top: 2, stepScores: [] }),
    ).toBe(
      [
        "Sequence 0 · step 1 · 2 generated tokens",
        "The [cat] [sat] on → ␣mat",
        "top: 1. ␣cat 0.90 · 2. ␣sat -0.50",
        "scale -0.90 … 0 … 0.90 · min -0.50 · max 0.90",
        "",
      ].join("\n"),
    );
  });

  it("keeps the prompt's line breaks (marked ↵) and shows step 0 with no prefix", () => {
    const result = makeResult([
      makeSequence({
        source: [{ text: "<s>", special: true, span: null }, "Line", "\n", "next"],
        target: ["!"],
        sourceAttributions: [[0.05, 0.5, 0.1, 0.2]],
        stepScores: { probability: [null] },
      }),
    ]);
    expect(renderColoredText(result, { color: 0, top: 1 })).toBe(
      [
        "Sequence 0 · step 0 · 1 generated token",
        "<s>[Line]↵",
        "next → ! (probability –)",
        "top: 1. Line 0.50",
        "scale 0.00 … 0.50 · min 0.05 · max 0.50",
        "",
      ].join("\n"),
    );
  });

  it("wraps long prompts at token boundaries within columns", () => {
    const words = Array.from({ length: 40 }, (_, i) => ` word${i}`);
    const result = makeResult([
      makeSequence({ source: ["Start", ...words, " 猫🐈‍⬛".repeat(12)], target: [" end"] }),
    ]);
    for (const columns of [10, 20, 33, 80]) {
      for (const color of [0, 3] as const) {
        const text = renderColoredText(result, { color, columns });
        for (const line of text.split("\n")) expect(stringWidth(line), line).toBeLessThanOrEqual(columns);
        const stripped = plain.strip(text).split("\n");
        const body = stripped.slice(
          1,
          stripped.findIndex((line) => line.startsWith("top:")),
        );
        // Nothing lost or reordered by the wrapping; only line ends (and their trailing spaces) added.
        expect(body.join("").replace(/[\s[\]]/g, "")).toBe(
          `Start${words.join("")}${" 猫🐈‍⬛".repeat(12)} → ␣end (probability 0.50)`.replace(/\s/g, ""),
        );
        // The arrow never ends a line without its token.
        expect(body.some((line) => line.endsWith("→"))).toBe(false);
      }
    }
  });
});

describe("renderColoredText, colours", () => {
  it("paints each token by its score (0 at the centre colour) instead of bracketing", () => {
    const result = makeResult([
      makeSequence({
        source: ["zero", " up", " down"],
        target: ["."],
        sourceAttributions: [[0, 1, -1]],
        stepScores: {},
      }),
    ]);
    const text = renderColoredText(result, { color: 3 });
    const background = (t: number) => {
      const { r, g, b } = parseRgb(interpolateRdBu(t));
      return `\u001b[48;2;${r};${g};${b}m`;
    };
    expect(text).toContain(`${background(0.5)}\u001b[38;2;0;0;0mzero\u001b[39m\u001b[49m`);
    expect(text).toContain(`${background(0)}\u001b[38;2;255;255;255m up`);
    expect(text).toContain(`${background(1)}\u001b[38;2;255;255;255m down`);
    expect(plain.strip(text)).not.toContain("[");
    expect(plain.strip(text).split("\n")[1]).toBe("zero up down → .");
  });
});

describe("renderColoredText, bad options", () => {
  it("throws INVALID_INPUT for a step or sequence that does not exist", () => {
    for (const [options, message] of [
      [{ step: 2 }, /step 2 does not exist in sequence 0 \(it has 2 generated tokens\)/],
      [{ sequence: 1 }, /sequence 1 does not exist/],
      [{ top: 0 }, /top must be a positive integer/],
    ] as const) {
      let error: unknown;
      try {
        renderColoredText(cat, { color: 0, ...options });
      } catch (caught) {
        error = caught;
      }
      expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
  });
});
