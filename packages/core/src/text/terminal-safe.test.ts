import { describe, expect, it } from "vitest";
import { terminalSafe } from "./terminal-safe.ts";

const char = (code: number) => String.fromCharCode(code);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Everything a terminal acts on; only LF and TAB (and CR as part of CR LF) may reach it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
const acted = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("terminalSafe", () => {
  it("shows every C0 control but LF and TAB as its control picture, in both modes", () => {
    for (const keepColours of [false, true]) {
      for (const code of range(0x00, 0x1f)) {
        const shown = terminalSafe(`a${char(code)}b`, { keepColours });
        if (code === 0x0a || code === 0x09) expect(shown).toBe(`a${char(code)}b`);
        else expect(shown, `0x${code.toString(16)}`).toBe(`a${char(0x2400 + code)}b`);
      }
    }
  });

  it("shows DEL as ␡ and every C1 control as �", () => {
    expect(terminalSafe("\u007f")).toBe("␡");
    for (const code of range(0x80, 0x9f)) {
      expect(terminalSafe(char(code)), `0x${code.toString(16)}`).toBe("�");
      expect(terminalSafe(char(code), { keepColours: true })).toBe("�");
    }
  });

  it("shows the bidirectional overrides and isolates as �, so they cannot reorder the line", () => {
    for (const code of [...range(0x202a, 0x202e), ...range(0x2066, 0x2069)]) {
      expect(terminalSafe(`x${char(code)}y`)).toBe("x�y");
    }
  });

  it("shows a bare CR (which rewrites the line) but keeps CR LF, a line break", () => {
    expect(terminalSafe("ok\rrm -rf")).toBe("ok␍rm -rf");
    expect(terminalSafe("a,b\r\nc,d\r\n")).toBe("a,b\r\nc,d\r\n");
    expect(terminalSafe("\r\r\n")).toBe("␍\r\n");
    expect(terminalSafe("end\r")).toBe("end␍");
  });

  it("makes an OSC 52 clipboard write and a clear-screen visible, whatever the mode", () => {
    for (const keepColours of [false, true]) {
      expect(terminalSafe("\u001b]52;c;aGk=\u0007", { keepColours })).toBe("␛]52;c;aGk=␇");
      expect(terminalSafe("\u001b]0;title\u001b\\", { keepColours })).toBe("␛]0;title␛\\");
      expect(terminalSafe("\u001b[2J\u001b[H", { keepColours })).toBe("␛[2J␛[H");
      expect(terminalSafe("\u001b[1A\u001b[2K", { keepColours })).toBe("␛[1A␛[2K");
      expect(terminalSafe("\u009b2J", { keepColours })).toBe("�2J");
    }
  });

  it("makes every escape visible without colours, the colours of ansis included", () => {
    expect(terminalSafe("\u001b[31mred\u001b[39m")).toBe("␛[31mred␛[39m");
    expect(terminalSafe("\u001b[48;2;10;20;30m")).toBe("␛[48;2;10;20;30m");
  });

  it("with colours on keeps the SGR sequences ansis emits", () => {
    const kept = [
      "\u001b[0m",
      "\u001b[1mbold\u001b[22m",
      "\u001b[2mdim\u001b[22m",
      "\u001b[3mi\u001b[23m",
      "\u001b[4mu\u001b[24m",
      ...range(30, 37).map((code) => `\u001b[${code}m`),
      ...range(40, 47).map((code) => `\u001b[${code}m`),
      ...range(90, 97).map((code) => `\u001b[${code}m`),
      ...range(100, 107).map((code) => `\u001b[${code}m`),
      "\u001b[39m\u001b[49m",
      "\u001b[38;5;0m\u001b[38;5;255m\u001b[48;5;17m",
      "\u001b[38;2;255;0;9m\u001b[48;2;10;20;30m",
      "\u001b[1;31m",
    ];
    for (const text of kept) expect(terminalSafe(text, { keepColours: true })).toBe(text);
  });

  it("with colours on still shows blink, reverse, conceal and malformed or unknown sequences", () => {
    const shown: [string, string][] = [
      ["\u001b[5m", "␛[5m"],
      ["\u001b[7m", "␛[7m"],
      ["\u001b[8msecret", "␛[8msecret"],
      ["\u001b[1;8m", "␛[1;8m"],
      ["\u001b[38;5;256m", "␛[38;5;256m"],
      ["\u001b[38;2;1;2m", "␛[38;2;1;2m"],
      ["\u001b[38;5;007m", "␛[38;5;007m"],
      ["\u001b[m", "␛[m"],
      ["\u001b[31", "␛[31"],
      ["\u001b", "␛"],
      ["x\u001b", "x␛"],
      ["\u001b\u001b[31m", "␛\u001b[31m"],
    ];
    for (const [text, expected] of shown) expect(terminalSafe(text, { keepColours: true })).toBe(expected);
  });

  it("never leaves a character a terminal acts on, except kept colours", () => {
    const everything = range(0, 0xa0).map(char).join("") + "\u202e\u2066\u001b[31m\u001b]52;c;aGk=\u0007";
    expect(terminalSafe(everything)).not.toMatch(acted);
    const coloured = terminalSafe(everything, { keepColours: true });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the one kept sequence.
    expect(coloured.replace(/\u001b\[31m/g, "")).not.toMatch(acted);
  });

  it("leaves ordinary text, wide characters and emoji alone", () => {
    expect(terminalSafe("Once upon a time, 猫🐈 é\n\tend")).toBe("Once upon a time, 猫🐈 é\n\tend");
  });
});
