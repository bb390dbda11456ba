import { describe, expect, it } from "vitest";
import { quoteForMessage } from "./quote-for-message.ts";

describe("quoteForMessage", () => {
  it("quotes a short string as JSON does, showing what a terminal acts on as the output gate does", () => {
    expect(quoteForMessage("llama")).toBe('"llama"');
    expect(quoteForMessage('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteForMessage("two\nlines\tand\r\u2028")).toBe('"two\\nlines\\tand␍\\u2028"');
    const quoted = quoteForMessage("\u001b]52;c;aGk=\u0007\u009b2J\u202e\u007f\u001b[8m");
    expect(quoted).toBe('"␛]52;c;aGk=␇�2J�␡␛[8m"');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(quoted).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
  });

  it("cuts a 10 MB string to a message under 1 KB, saying how much was left out", () => {
    const huge = "x".repeat(10 * 1024 * 1024);
    const quoted = quoteForMessage(huge);
    expect(quoted.length).toBeLessThan(1024);
    expect(quoted).toBe(`"${"x".repeat(200)}"… (10,485,560 more characters)`);
    expect(quoteForMessage("abcd", 3)).toBe('"abc"… (1 more character)');
    expect(quoteForMessage("abc", 3)).toBe('"abc"');
  });

  it("never cuts a surrogate pair in two", () => {
    expect(quoteForMessage("ab🐈cd", 3)).toBe('"ab"… (4 more characters)');
  });

  it("writes numbers, booleans, null and undefined as code does", () => {
    expect(quoteForMessage(2.5)).toBe("2.5");
    expect(quoteForMessage(Number.NaN)).toBe("NaN");
    expect(quoteForMessage(true)).toBe("true");
    expect(quoteForMessage(null)).toBe("null");
    expect(quoteForMessage(undefined)).toBe("undefined");
    expect(quoteForMessage(12n)).toBe("12n");
  });

  it("describes arrays and objects by type and size, without walking them (a million levels deep costs nothing)", () => {
    let deep: unknown = [];
    for (let level = 0; level < 1_000_000; level++) deep = [deep];
    expect(quoteForMessage(deep)).toBe("an array of 1 item");
    expect(quoteForMessage([2, -3.5, null, true])).toBe("[2, -3.5, null, true]");
    expect(quoteForMessage([])).toBe("[]");
    expect(quoteForMessage([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBe("an array of 9 items");
    expect(quoteForMessage(["a", 1])).toBe("an array of 2 items");
    expect(quoteForMessage([[1]])).toBe("an array of 1 item");
    expect(quoteForMessage({ a: 1, b: { c: 2 } })).toBe("an object with 2 keys");
    expect(quoteForMessage(new Float32Array(4))).toBe("a Float32Array of 16 bytes");
    expect(quoteForMessage(new Date(0))).toBe("an object");
    expect(quoteForMessage(() => 1)).toBe("a function");
    expect(quoteForMessage(Symbol("s"))).toBe("a symbol");
  });
});
