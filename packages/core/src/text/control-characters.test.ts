import { describe, expect, it } from "vitest";
import { escapeControlCharacters } from "./control-characters.ts";

describe("escapeControlCharacters", () => {
  it("shows C0, DEL, C1 and bidirectional controls, leaving LF, TAB and CR to the caller", () => {
    expect(escapeControlCharacters("a\u0000b\u001b[2J\u007fc\u009b\u202e\u2066\n\t\r")).toBe(
      "a␀b␛[2J␡c���\n\t\r",
    );
  });
});
