import { describe, expect, it } from "vitest";
import { memoryIO, plainText, printJson, printJsonText } from "./io.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
const acted = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const hostile = "\u001b]52;c;aGk=\u0007\u001b[2J\r\u009b\u202e\u007f\u2028";

describe("the CLI's output", () => {
  it("shows control characters written to stdout and stderr as stand-ins", () => {
    const io = memoryIO();
    io.stdout(`out ${hostile}\n`);
    io.stderr(`err ${hostile}\n`);
    expect(io.out()).toBe("out ␛]52;c;aGk=␇␛[2J␍��␡\u2028\n");
    expect(io.err()).toBe("err ␛]52;c;aGk=␇␛[2J␍��␡\u2028\n");
  });

  it("prints JSON whose values are exactly the hostile strings, with nothing raw in the text", () => {
    const io = memoryIO();
    const value = { [hostile]: [hostile, 1.5], nested: { text: hostile } };
    printJson(io, value);
    printJsonText(io, `${JSON.stringify(hostile)}\n`);
    const [first, second] = io.out().split(/\n(?=")/);
    expect(io.out()).not.toMatch(acted);
    expect(io.out()).not.toContain("\u2028");
    expect(JSON.parse(first!)).toEqual(value);
    expect(JSON.parse(second!)).toBe(hostile);
    expect(io.out().endsWith('"\n')).toBe(true);
  });

  it("plainText shows colour sequences too, so text from outside cannot colour or hide what follows", () => {
    expect(plainText("\u001b[30;40mhidden\u001b[0m")).toBe("␛[30;40mhidden␛[0m");
  });
});
