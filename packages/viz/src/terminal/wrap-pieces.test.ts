import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { type TextPiece, wrapPieces } from "./wrap-pieces.ts";

const piece = (text: string, extra: Partial<TextPiece> = {}): TextPiece => ({
  text,
  breakBefore: false,
  style: (chunk) => `<${chunk}>`,
  ...extra,
});

describe("wrapPieces", () => {
  it("fills lines with whole pieces and starts a new line when the next does not fit", () => {
    expect(wrapPieces([piece("aaa"), piece(" bb"), piece(" cc"), piece(" d")], 7)).toEqual([
      "<aaa>< bb>",
      "< cc>< d>",
    ]);
  });

  it("breaks where the text had a line break", () => {
    expect(wrapPieces([piece("a↵"), piece("b", { breakBefore: true }), piece("")], 10)).toEqual([
      "<a↵>",
      "<b>",
    ]);
  });

  it("starts a piece wider than a line on a new line and cuts it between graphemes, styling each part", () => {
    const lines = wrapPieces([piece("x"), piece("猫猫猫猫猫")], 4);
    expect(lines).toEqual(["<x>", "<猫猫>", "<猫猫>", "<猫>"]);
    for (const line of lines) expect(stringWidth(line.replace(/[<>]/g, ""))).toBeLessThanOrEqual(4);
  });

  it("moves a piece to the next line together with a piece kept with it", () => {
    expect(wrapPieces([piece("abcd"), piece(" →"), piece(" x", { keepWithPrevious: true })], 7)).toEqual([
      "<abcd>",
      "< →>< x>",
    ]);
    expect(wrapPieces([piece("abc"), piece(" →"), piece(" x", { keepWithPrevious: true })], 7)).toEqual([
      "<abc>< →>< x>",
    ]);
  });
});
