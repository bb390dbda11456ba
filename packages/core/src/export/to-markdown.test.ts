import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { makeResult, makeSequence } from "../testing/fixtures.ts";
import { escapeMarkdownToken, toMarkdown } from "./to-markdown.ts";

describe("escapeMarkdownToken", () => {
  it("escapes pipes and Markdown punctuation and shows invisible characters", () => {
    expect(escapeMarkdownToken("a|b")).toBe("a\\|b");
    expect(escapeMarkdownToken(" world")).toBe("␣world");
    expect(escapeMarkdownToken("  x y ")).toBe("␣␣x y␣");
    expect(escapeMarkdownToken("\n")).toBe("↵");
    expect(escapeMarkdownToken("a\r\nb\tc")).toBe("a↵b⇥c");
    expect(escapeMarkdownToken("<s>")).toBe("\\<s\\>");
    expect(escapeMarkdownToken("**_`")).toBe("\\*\\*\\_\\`");
    expect(escapeMarkdownToken("")).toBe("∅");
  });
});

describe("toMarkdown", () => {
  const sequence = makeSequence({
    source: ["a|b", " c"],
    target: [" d", "\n"],
    sourceAttributions: [
      [0.12345, null],
      [-0.00001, 1],
    ],
    targetAttributions: [
      [null, null],
      [0.5, null],
    ],
    stepScores: { probability: [0.25, null] },
  });

  it("writes rows = targets, columns = source then target-prefix tokens then step scores", () => {
    expect(toMarkdown(makeResult([sequence]), { sequence: 0, digits: 2 })).toBe(
      [
        "| target | a\\|b | ␣c | ␣d | ↵ | *probability* |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| ␣d | 0.12 |  |  |  | 0.25 |",
        "| ↵ | 0.00 | 1.00 | 0.50 |  |  |",
        "",
      ].join("\n"),
    );
  });

  it("puts each sequence under a heading, with 3 digits by default", () => {
    const markdown = toMarkdown(makeResult([sequence, sequence]));
    expect(markdown.match(/\*\*Sequence \d\*\*/g)).toEqual(["**Sequence 0**", "**Sequence 1**"]);
    expect(markdown).toContain("| ␣d | 0.123 |");
  });

  it("leaves out target-prefix columns when there are none", () => {
    const sourceOnly = { ...sequence, targetAttributions: null };
    const header = toMarkdown(makeResult([sourceOnly]), { sequence: 0 }).split("\n")[0];
    expect(header).toBe("| target | a\\|b | ␣c | *probability* |");
  });

  it("refuses a sequence index that does not exist", () => {
    try {
      toMarkdown(makeResult([sequence]), { sequence: 3 });
      expect.unreachable();
    } catch (error) {
      expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    }
  });
});
