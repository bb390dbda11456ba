import { type AttributionResult, isTokenscopeError, type Token, terminalSafe } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { Ansis } from "ansis";
import { describe, expect, it } from "vitest";
import { displayWidth, splitGraphemes } from "../common/text-width.ts";
import { renderContrastDiff } from "./contrast-diff.ts";
import { renderResult } from "./result-view.ts";

const plain = new Ansis(0);
const attributedFunction = {
  id: "contrast_prob_diff",
  parameters: { contrast_targets: [" the very small cat"] },
};

function token(id: number | null, text: string): Token {
  return { id, text, span: null, special: false };
}

/**
 * Target " the big cat" (ids 100, 101, 102) against the contrast " the very small cat": " very" faces no
 * target token, " big" faced " small".
 */
function contrastiveResult(options: { sourceText?: string; scores?: boolean } = {}): AttributionResult {
  const sequence = makeSequence({
    source: ["Look", ":"],
    target: [" the", " big", " cat"],
    stepScores:
      options.scores === false
        ? { probability: [0.5, 0.4, 0.3] }
        : { contrast_prob_diff: [0.1, 0.5, -0.25], probability: [0.5, 0.4, 0.3] },
  });
  sequence.contrast = {
    targetText: " the very small cat",
    target: [token(100, " the"), token(9, " very"), token(8, " small"), token(102, " cat")],
    alignment: [0, 2, 3],
    ...(options.sourceText !== undefined ? { sourceText: options.sourceText } : {}),
  };
  return makeResult([sequence], { info: { attributedFunction } });
}

/** Display columns at which each cell of a row starts: a non-space after a space, past the row label. */
function cellStarts(line: string, labelWidth: number): number[] {
  const starts: number[] = [];
  let width = 0;
  let previous = " ";
  for (const grapheme of splitGraphemes(plain.strip(line))) {
    if (width >= labelWidth && grapheme !== " " && previous === " ") starts.push(width);
    width += displayWidth(grapheme);
    previous = grapheme;
  }
  return starts;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("renderContrastDiff, plain text", () => {
  it("aligns target and contrast, brackets exactly the differing columns and adds the scores", () => {
    expect(renderContrastDiff(contrastiveResult({ sourceText: "Look again:" }), { color: 0 })).toBe(
      [
        "Contrast (target ↔ contrast, differing tokens marked):",
        "target              ␣the  ·        [␣big]    ␣cat",
        "contrast            ␣the  [␣very]  [␣small]  ␣cat",
        "contrast_prob_diff  0.10           0.50      -0.25",
        'contrast source: "Look again:"',
        "",
      ].join("\n"),
    );
  });

  it("leaves the score row out when the attributed function's values were not recorded, and follows digits", () => {
    expect(renderContrastDiff(contrastiveResult({ scores: false }), { color: 0 })).toBe(
      [
        "Contrast (target ↔ contrast, differing tokens marked):",
        "target    ␣the  ·        [␣big]    ␣cat",
        "contrast  ␣the  [␣very]  [␣small]  ␣cat",
        "",
      ].join("\n"),
    );
    const lines = renderContrastDiff(contrastiveResult(), { color: 0, digits: 3 }).split("\n");
    expect(lines[3]).toBe("contrast_prob_diff  0.100           0.500     -0.250");
  });

  it("wraps at column boundaries to a narrow width, each block repeating the row labels, columns aligned", () => {
    // Wide characters (CJK, emoji) must align by display width, not by code units.
    const sequence = makeSequence({
      source: ["a"],
      target: ["猫", "が", "🐈‍⬛", " sat", " on", " the", " mat"],
      stepScores: { contrast_prob_diff: [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7] },
    });
    sequence.contrast = {
      targetText: "犬が🐕 sat on a mat",
      target: [
        token(1, "犬"),
        token(101, "が"),
        token(2, "🐕"),
        token(103, " sat"),
        token(104, " on"),
        token(3, " a"),
        token(5, " big"),
        token(106, " mat"),
      ],
      alignment: [0, 1, 2, 3, 4, 5, 7],
    };
    const result = makeResult([sequence], { info: { attributedFunction } });
    for (const columns of [10, 16, 24, 33]) {
      const text = renderContrastDiff(result, { color: 0, columns });
      const lines = text.trimEnd().split("\n");
      for (const line of lines) expect(displayWidth(line), line).toBeLessThanOrEqual(columns);
      const blocks = lines
        .slice(1)
        .join("\n")
        .split("\n\n")
        .map((block) => block.split("\n"));
      expect(blocks.length).toBeGreaterThan(1);
      const labels = blocks[0]!.map((line) => line.split(" ")[0]);
      const labelWidth = displayWidth(blocks[0]![0]!.split(" ")[0]!);
      const targets: string[] = [];
      const contrasts: string[] = [];
      for (const block of blocks) {
        expect(block).toHaveLength(3);
        expect(block.map((line) => line.split(" ")[0])).toEqual(labels);
        const starts = cellStarts(block[0]!, labelWidth);
        // Every column starts at the same display column in the target and contrast rows; scores too.
        expect(cellStarts(block[1]!, labelWidth)).toEqual(starts);
        for (const start of cellStarts(block[2]!, labelWidth)) expect(starts).toContain(start);
        targets.push(...block[0]!.slice(block[0]!.indexOf(" ")).trim().split(/ +/));
        contrasts.push(...block[1]!.slice(block[1]!.indexOf(" ")).trim().split(/ +/));
      }
      // Every column exactly once, in order, across the blocks; the insertion " big" in its place.
      expect(targets).toHaveLength(8);
      expect(contrasts).toHaveLength(8);
      expect(targets[6]).toBe("·");
      expect(contrasts[6]!.startsWith("[")).toBe(true);
      expect(targets.map((cell) => cell.startsWith("["))).toEqual([
        true,
        false,
        true,
        false,
        false,
        true,
        false,
        false,
      ]);
      expect(contrasts.map((cell) => cell.startsWith("["))).toEqual([
        true,
        false,
        true,
        false,
        false,
        true,
        true,
        false,
      ]);
    }
    // Wide enough: one block, the wide tokens aligned with their contrast tokens.
    const wide = renderContrastDiff(result, { color: 0, columns: 200 }).split("\n");
    expect(wide.slice(1, 3)).toEqual([
      "target              [猫]  が     [🐈‍⬛]  ␣sat   ␣on   [␣the]  ·       ␣mat",
      "contrast            [犬]  が     [🐕]  ␣sat   ␣on   [␣a]    [␣big]  ␣mat",
    ]);
    expect(cellStarts(wide[1]!, 18)).toEqual(cellStarts(wide[2]!, 18));
  });

  it("cuts long token labels and the contrast source to the width", () => {
    const result = contrastiveResult({ sourceText: "A very long contrast prompt that goes on and on" });
    result.sequences[0]!.target[1] = {
      ...result.sequences[0]!.target[1]!,
      text: " antidisestablishmentarianism",
    };
    const text = renderContrastDiff(result, { color: 0, columns: 40, maxTokenWidth: 8 });
    expect(text).toContain("[␣antidi…]");
    expect(text.trimEnd().split("\n").at(-1)).toBe('contrast source: "A very long contrast…"');
    for (const line of text.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(40);
  });
});

describe("renderContrastDiff, hostile text and colour", () => {
  const hostile = contrastiveResult({ sourceText: "\u001b[31mred\r\u0007prompt" });
  const contrast = hostile.sequences[0]!.contrast!;
  contrast.target[2] = token(8, "\u001b[31m\r\u0007");
  hostile.sequences[0]!.target[0] = {
    ...hostile.sequences[0]!.target[0]!,
    text: "\u001b]52;c;aGk=\u0007",
    id: 50,
  };

  it("never prints a control character raw", () => {
    const text = renderContrastDiff(hostile, { color: 0, columns: Number.POSITIVE_INFINITY });
    for (const raw of ["\u001b", "\r", "\u0007"]) expect(text).not.toContain(raw);
    expect(terminalSafe(text)).toBe(text);
    expect(text).toContain("[␛[31m↵␇]");
    expect(text).toContain("[␛]52;c;aGk=␇]");
    expect(text).toContain('contrast source: "␛[31mred↵␇prompt"');
  });

  it("marks differing tokens with ansis's bold magenta, and has no escape sequences but ansis's", () => {
    const color = new Ansis(3);
    const text = renderContrastDiff(hostile, { color: 3, columns: Number.POSITIVE_INFINITY });
    expect(terminalSafe(text, { keepColours: true })).toBe(text);
    expect(text).toContain(color.bold.magenta("␣big"));
    expect(text).toContain(color.bold.magenta("␛[31m↵␇"));
    expect(text).toContain(color.dim("·"));
    expect(text).not.toContain("\u001b[31m");
    // Every escape sequence is an SGR colour code, and each is one ansis writes for these styles.
    const ansisCodes = new Set(
      [color.bold("x"), color.magenta("x"), color.dim("x")].flatMap((styled) => styled.split("x")),
    );
    const pieces = text.split("\u001b").slice(1);
    expect(pieces.length).toBeGreaterThan(0);
    for (const piece of pieces) expect(ansisCodes).toContain(`\u001b${/^\[[0-9;]*m/.exec(piece)?.[0]}`);
    // No brackets in colour: the colour is the mark; without it the columns read as in plain text.
    expect(plain.strip(text)).not.toContain("[␣big]");
    expect(plain.strip(text).split("\n")[1]).toBe("target              ␛]52;c;aGk=␇  ·      ␣big     ␣cat");
  });
});

describe("renderContrastDiff, options", () => {
  it("refuses a sequence without a contrast, saying which sequences have one", () => {
    const result = contrastiveResult();
    result.sequences.unshift(makeSequence({ source: ["a"], target: ["b"] }));
    const error = thrown(() => renderContrastDiff(result, { color: 0 }));
    expect(isTokenscopeError(error) && error.code).toBe("INVALID_INPUT");
    expect(isTokenscopeError(error) && error.hint).toContain("{ sequence: 1 }");
    expect(renderContrastDiff(result, { color: 0, sequence: 1 })).toContain("[␣big]");
    const none = thrown(() =>
      renderContrastDiff(makeResult([makeSequence({ source: ["a"], target: ["b"] })])),
    );
    expect(isTokenscopeError(none) && none.hint).toMatch(/contrastive run/);
  });

  it("checks its options as the other terminal views do", () => {
    for (const options of [
      { digits: -1 },
      { columns: 5 },
      { color: 7 as never },
      { sequence: 3 },
      { maxTokenWidth: 0 },
      { columns: 12, digits: 20 },
    ]) {
      const error = thrown(() => renderContrastDiff(contrastiveResult(), options));
      expect(isTokenscopeError(error) && error.code, JSON.stringify(options)).toBe("INVALID_INPUT");
    }
  });
});

describe("renderResult with a contrast", () => {
  it("shows the diff after a sequence's heatmap and before its coloured text, only where it has a contrast", () => {
    const result = contrastiveResult();
    result.sequences.push(makeSequence({ source: ["x"], target: ["y"] }));
    const text = renderResult(result, { color: 0 });
    const heading = "Contrast (target ↔ contrast, differing tokens marked):";
    expect(text.split(heading)).toHaveLength(2);
    const diffAt = text.indexOf(heading);
    expect(text.indexOf("Sequence 0 · 2 source")).toBeLessThan(diffAt);
    expect(text.indexOf("Sequence 0 · step")).toBeGreaterThan(diffAt);
    expect(text.indexOf("Sequence 1 · 1 source")).toBeGreaterThan(diffAt);
    expect(text).toContain(renderContrastDiff(result, { color: 0 }));
    const without = makeResult([makeSequence({ source: ["x"], target: ["y"] })]);
    expect(renderResult(without, { color: 0 })).not.toContain("Contrast (");
    // Only the asked-for sequence.
    expect(renderResult(result, { color: 0, sequence: 1 })).not.toContain(heading);
  });
});
