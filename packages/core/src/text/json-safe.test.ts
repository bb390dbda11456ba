import { describe, expect, it } from "vitest";
import { jsonSafe } from "./json-safe.ts";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("jsonSafe", () => {
  const hostile = [
    ...range(0x00, 0x1f),
    ...range(0x7f, 0x9f),
    0x2028,
    0x2029,
    ...range(0x202a, 0x202e),
    ...range(0x2066, 0x2069),
  ]
    .map((code) => String.fromCharCode(code))
    .join("");

  it("escapes DEL, C1, U+2028/2029 and bidirectional controls as \\uXXXX, keeping the values", () => {
    const value = { [hostile]: [hostile, "\u001b]52;c;aGk=\u0007", "plain 猫"], n: 1.5 };
    for (const indent of [0, 2]) {
      const text = jsonSafe(JSON.stringify(value, null, indent));
      expect(text).not.toMatch(raw);
      expect(JSON.parse(text)).toEqual(value);
    }
    expect(jsonSafe(JSON.stringify("\u007f\u009b\u2028\u202e"))).toBe('"\\u007f\\u009b\\u2028\\u202e"');
  });

  it("leaves JSON without such characters byte for byte", () => {
    const text = JSON.stringify({ a: [1, "b\n", "é猫🐈", "\\u007f"] }, null, 2);
    expect(jsonSafe(text)).toBe(text);
  });
});
