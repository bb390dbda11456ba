import { isTokenscopeError } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { Ansis } from "ansis";
import { interpolateRdBu } from "d3-scale-chromatic";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { parseRgb } from "../common/color-scale.ts";
import { renderHeatmap } from "./heatmap.ts";

const plain = new Ansis(0);

/** A signed result with a target prefix, null cells and one step score. */
const signed = makeResult([
  makeSequence({
    source: ["Hi", " there"],
    target: [" you", "!"],
    sourceAttributions: [
      [0.5, -0.25],
      [0.1, 1],
    ],
    targetAttributions: [
      [null, null],
      [-0.75, null],
    ],
    stepScores: { probability: [0.9, 0.45] },
  }),
]);

/** Scores all ≥ 0, special tokens, no target prefix, no step scores. */
const positive = makeResult([
  makeSequence({
    source: [{ text: "<s>", special: true, span: null }, "a", " b"],
    target: ["c", { text: "</s>", special: true, span: null }],
    sourceAttributions: [
      [0.6, 0.3, 0.1],
      [0.2, 0, 0.8],
    ],
    targetAttributions: null,
    stepScores: {},
  }),
]);

/** Positions of every "│" and "┼" in display columns, to check that a table's rules line up. */
function rulePositions(line: string): number[] {
  const positions: number[] = [];
  let width = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(
    plain.strip(line),
  )) {
    if (segment === "│" || segment === "┼") positions.push(width);
    width += stringWidth(segment);
  }
  return positions;
}

/** The row labels of one block of a heatmap: the text before the rule on each line after the rule line. */
function blockRowLabels(lines: readonly string[]): string[] {
  const rule = lines.findIndex((line) => line.startsWith("─"));
  return lines
    .slice(rule + 1)
    .filter((line) => line.includes("│"))
    .map((line) => line.split("│")[0]!.trim());
}

function expectFits(text: string, columns: number): void {
  for (const line of text.split("\n")) expect(stringWidth(line), line).toBeLessThanOrEqual(columns);
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("renderHeatmap, plain text", () => {
  it("prints signed scores, the target prefix after a rule, blank empty cells and step scores", () => {
    expect(renderHeatmap(signed, { color: 0 })).toBe(
      [
        "Sequence 0 · 2 source → 2 generated tokens",
        "     │ source        │ generated    │ step scores",
        "     │    Hi  ␣there │  ␣you      ! │ probability",
        "─────┼───────────────┼──────────────┼─────────────",
        "␣you │  0.50   -0.25 │              │        0.90",
        "!    │  0.10    1.00 │ -0.75        │        0.45",
        "scale -1.00 … 0 … 1.00 · min -0.75 · max 1.00",
        "",
      ].join("\n"),
    );
  });

  it("uses a sequential scale from 0 for scores that are all ≥ 0, and prints special tokens", () => {
    expect(renderHeatmap(positive, { color: 0 })).toBe(
      [
        "Sequence 0 · 3 source → 2 generated tokens",
        "     │ source",
        "     │  <s>     a    ␣b",
        "─────┼──────────────────",
        "c    │ 0.60  0.30  0.10",
        "</s> │ 0.20  0.00  0.80",
        "scale 0.00 … 0.80 · min 0.00 · max 0.80",
        "",
      ].join("\n"),
    );
  });

  it("follows digits, showTargetPrefix and stepScores", () => {
    const text = renderHeatmap(signed, { color: 0, digits: 1, showTargetPrefix: false, stepScores: [] });
    expect(text).toBe(
      [
        "Sequence 0 · 2 source → 2 generated tokens",
        "     │ source",
        "     │   Hi  ␣there",
        "─────┼──────────────",
        "␣you │  0.5    -0.3",
        "!    │  0.1     1.0",
        "scale -1.0 … 0 … 1.0 · min -0.3 · max 1.0",
        "",
      ].join("\n"),
    );
  });

  it("aligns columns of wide (CJK, emoji) and combining-mark tokens by display width", () => {
    const result = makeResult([
      makeSequence({
        source: ["猫", "が", "🐈‍⬛", "e\u0301"],
        target: ["😀", "字"],
        sourceAttributions: [
          [0.1, 0.2, 0.3, 0.4],
          [0.5, 0.6, 0.7, 0.8],
        ],
        stepScores: {},
      }),
    ]);
    const text = renderHeatmap(result, { color: 0 });
    expect(text).toBe(
      [
        "Sequence 0 · 4 source → 2 generated tokens",
        "   │ source                     │ generated",
        "   │    猫     が     🐈‍⬛      e\u0301 │    😀     字",
        `───┼${"─".repeat(28)}┼${"─".repeat(14)}`,
        "😀 │  0.10   0.20   0.30   0.40 │",
        "字 │  0.50   0.60   0.70   0.80 │ -0.55",
        "scale -0.80 … 0 … 0.80 · min -0.55 · max 0.80",
        "",
      ].join("\n"),
    );
    // The rules sit at the same display column on every line of the table.
    const table = text.split("\n").slice(1, 6);
    const positions = rulePositions(table[0]!);
    expect(positions).toEqual([3, 32]);
    for (const line of table) expect(rulePositions(line)).toEqual(positions);
  });

  it("cuts long token texts with an ellipsis", () => {
    const result = makeResult([
      makeSequence({
        source: ["supercalifragilistic", "x"],
        target: [" antidisestablishment"],
        sourceAttributions: [[0.25, 0.5]],
        stepScores: {},
      }),
    ]);
    const text = renderHeatmap(result, { color: 0, maxTokenWidth: 8 });
    expect(text.split("\n").slice(2, 5)).toEqual([
      "         │ superca…     x │ ␣antidi…",
      `─────────┼${"─".repeat(16)}┼──────────`,
      "␣antidi… │     0.25  0.50 │",
    ]);
  });

  it("splits a table too wide for the terminal into stacked blocks that repeat the row labels", () => {
    const words = [
      "The",
      " quick",
      " brown",
      " fox",
      " jumps",
      " over",
      " the",
      " lazy",
      " dog",
      " again",
      " and",
      " again",
    ];
    const result = makeResult([makeSequence({ source: words, target: [" and", " then", " it", " slept"] })]);
    for (const columns of [10, 24, 40, 61]) {
      const text = renderHeatmap(result, { color: 0, columns });
      expectFits(text, columns);
      const blocks = text.split("\n\n").map((block) => block.split("\n"));
      expect(blocks.length).toBeGreaterThan(1);
      const headers: string[] = [];
      const labelsOfFirstBlock = blockRowLabels(blocks[0]!);
      expect(labelsOfFirstBlock).toHaveLength(4);
      for (const lines of blocks) {
        const rule = lines.findIndex((line) => line.startsWith("─"));
        // Every block repeats the row labels, in order.
        expect(blockRowLabels(lines)).toEqual(labelsOfFirstBlock);
        headers.push(...lines[rule - 1]!.split("│").slice(1).join(" ").trim().split(/ +/));
      }
      // Every source and target token is a column exactly once, in order, across the blocks.
      const tokens = headers.filter((header) => header !== "" && !header.startsWith("pro"));
      expect(tokens).toHaveLength(words.length + 4);
      expect(tokens[0]).toBe("The");
      expect(tokens.at(-1)!.startsWith("␣")).toBe(true);
    }
    // Wide enough: one block.
    expect(renderHeatmap(result, { color: 0, columns: 200 }).split("\n\n")).toHaveLength(1);
    expect(renderHeatmap(result, { color: 0, columns: Number.POSITIVE_INFINITY }).split("\n\n")).toHaveLength(
      1,
    );
  });

  it("renders every sequence by default and one when asked", () => {
    const two = makeResult([
      makeSequence({ source: ["a"], target: ["b"], sourceAttributions: [[1]], stepScores: {} }),
      makeSequence({ source: ["c"], target: ["d"], sourceAttributions: [[-1]], stepScores: {} }),
    ]);
    const all = renderHeatmap(two, { color: 0 });
    expect(all).toContain("Sequence 0 · 1 source → 1 generated token");
    expect(all).toContain("\n\nSequence 1 · 1 source → 1 generated token");
    const second = renderHeatmap(two, { color: 0, sequence: 1 });
    expect(second.startsWith("Sequence 1")).toBe(true);
    expect(second).not.toContain("Sequence 0");
    expect(second).toContain("d │ -1.00 │");
  });

  it("says so when a sequence has no generated tokens", () => {
    const empty = makeResult([makeSequence({ source: ["a"], target: [], stepScores: {} })]);
    expect(renderHeatmap(empty, { color: 0 })).toBe(
      "Sequence 0 · 1 source → 0 generated tokens\n(no generated tokens)\n",
    );
  });
});

describe("renderHeatmap, colours", () => {
  const centre = parseRgb(interpolateRdBu(0.5));
  const red = parseRgb(interpolateRdBu(0));
  const blue = parseRgb(interpolateRdBu(1));
  const background = ({ r, g, b }: { r: number; g: number; b: number }) => `\u001b[48;2;${r};${g};${b}m`;

  it("paints each cell's background, 0 at the diverging map's centre, the extremes at its ends", () => {
    const result = makeResult([
      makeSequence({
        source: ["a", "b", "c"],
        target: ["d"],
        sourceAttributions: [[0, 2, -2]],
        targetAttributions: null,
        stepScores: {},
      }),
    ]);
    const text = renderHeatmap(result, { color: 3 });
    expect(text).toContain(`${background(centre)}\u001b[38;2;0;0;0m  0.00 \u001b[39m\u001b[49m`);
    expect(text).toContain(`${background(red)}\u001b[38;2;255;255;255m  2.00 `);
    expect(text).toContain(`${background(blue)}\u001b[38;2;255;255;255m -2.00 `);
  });

  it("has the same table as plain mode once the escape codes are stripped, and dims special tokens", () => {
    const coloured = renderHeatmap(signed, { color: 3 });
    const plainText = renderHeatmap(signed, { color: 0 });
    expect(coloured).toContain("\u001b[48;2;");
    const table = (text: string) =>
      plain
        .strip(text)
        .split("\n")
        .slice(0, 6)
        .map((line) => line.trimEnd());
    expect(table(coloured)).toEqual(table(plainText));
    expect(renderHeatmap(positive, { color: 3 })).toContain("\u001b[2m</s>\u001b[22m");
  });

  it("accepts an ansis instance and falls back to 256 colours", () => {
    const text = renderHeatmap(signed, { color: new Ansis(2) });
    expect(text).toMatch(new RegExp(`${"\u001b"}\\[48;5;\\d+m`));
    expect(text).not.toContain("\u001b[48;2;");
  });

  it("keeps every line within columns, escape codes aside", () => {
    const words = [
      "Once",
      " upon",
      " a",
      " time",
      " there",
      " was",
      " a",
      " little",
      " girl",
      " named",
      " Lily",
    ];
    const result = makeResult([makeSequence({ source: words, target: [" who", " loved", " to", " play"] })]);
    for (const columns of [10, 30, 45, 80]) expectFits(renderHeatmap(result, { color: 3, columns }), columns);
  });
});

describe("renderHeatmap, bad options", () => {
  it("throws INVALID_INPUT with a hint for a missing sequence, bad digits, too few columns, unknown step scores", () => {
    const cases: [object, RegExp][] = [
      [{ sequence: 3 }, /sequence 3 does not exist \(the result has 1\)/],
      [{ digits: -1 }, /digits must be an integer from 0 to 20/],
      [{ columns: 5 }, /columns must be an integer ≥ 10/],
      [{ stepScores: ["entropy"] }, /has no step scores "entropy"/],
      [{ color: 7 }, /color must be an ansis instance or a level 0 to 3/],
      [{ scale: "rainbow" }, /scale must be "auto", "diverging" or "sequential"/],
    ];
    for (const [options, message] of cases) {
      const error = thrown(() => renderHeatmap(signed, options));
      expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as { hint?: string }).hint).toBeTruthy();
    }
  });

  it("refuses a terminal too narrow for a single column of numbers", () => {
    const huge = makeResult([
      makeSequence({ source: ["a"], target: ["b"], sourceAttributions: [[123456789]], stepScores: {} }),
    ]);
    const error = thrown(() => renderHeatmap(huge, { color: 0, columns: 12 }));
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect(renderHeatmap(huge, { color: 0, columns: 20 })).toContain("123456789.00");
  });
});

describe("renderHeatmap: units of step scores", () => {
  it("states units that are not self-evident beside the scores, perplexity's base included", async () => {
    const { registerCoreBuiltins } = await import("@tokenscope/core");
    registerCoreBuiltins();
    const result = makeResult([
      makeSequence({
        source: ["a", " b"],
        target: [" c", " d"],
        stepScores: { probability: [0.5, 0.25], entropy: [1, 2], perplexity: [2, 4] },
      }),
    ]);
    const lines = renderHeatmap(result, { color: 0, columns: 120 }).trimEnd().split("\n");
    expect(lines.at(-1)).toBe("entropy in nats · perplexity in tokens (e^crossentropy, base e)");
    const probabilityOnly = makeResult([
      makeSequence({ source: ["a"], target: [" c"], stepScores: { probability: [0.5], deltas: [0.1] } }),
    ]);
    expect(renderHeatmap(probabilityOnly, { color: 0 })).not.toContain(" in ");
  });
});
