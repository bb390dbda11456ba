import { describe, expect, it } from "vitest";
import { displayToken, escapeControlCharacters, tokenLabel } from "./display-token.ts";

describe("displayToken", () => {
  it("shows spaces at the ends, line breaks, tabs and empty texts", () => {
    expect(displayToken(" cat")).toBe("␣cat");
    expect(displayToken("  a b ")).toBe("␣␣a b␣");
    expect(displayToken(" ")).toBe("␣");
    expect(displayToken("\n")).toBe("↵");
    expect(displayToken("a\r\nb\rc")).toBe("a↵b↵c");
    expect(displayToken("\tx")).toBe("⇥x");
    expect(displayToken("")).toBe("∅");
  });

  it("keeps ordinary and wide text as it is", () => {
    expect(displayToken("猫🐈")).toBe("猫🐈");
    expect(displayToken("<s>")).toBe("<s>");
  });

  it("names invisible tokens by their code points", () => {
    expect(displayToken("\u200b")).toBe("U+200B");
    expect(displayToken("\u0301")).toBe("U+0301");
  });

  it("never lets a token's text act on the terminal", () => {
    const label = displayToken("\u001b[31mred\u0007\u009b2J\u202e");
    expect(label).toBe("␛[31mred␇�2J�");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(label).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});

describe("escapeControlCharacters", () => {
  it("replaces C0 controls by control pictures and DEL by ␡, leaving line breaks to the caller", () => {
    expect(escapeControlCharacters("a\u0000b\u007fc\nd")).toBe("a␀b␡c\nd");
  });
});

describe("tokenLabel", () => {
  it("shows a token without text by its tokenizer piece (BOS as <s>), else its text", () => {
    expect(tokenLabel({ text: "", piece: "<s>" })).toBe("<s>");
    expect(tokenLabel({ text: "" })).toBe("∅");
    expect(tokenLabel({ text: " upon", piece: "▁upon" })).toBe("␣upon");
    // A piece from a vocabulary is escaped as any text is.
    expect(tokenLabel({ text: "", piece: "<\u001b[2J>" })).toBe("<␛[2J>");
  });
});
