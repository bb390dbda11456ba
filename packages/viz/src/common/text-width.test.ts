import { describe, expect, it } from "vitest";
import {
  displayWidth,
  padEndToWidth,
  padStartToWidth,
  splitGraphemes,
  truncateToWidth,
} from "./text-width.ts";

describe("displayWidth", () => {
  it("counts East Asian wide characters and emoji as 2 columns, combining marks as 0", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("猫が")).toBe(4);
    expect(displayWidth("🐈")).toBe(2);
    expect(displayWidth("🐈‍⬛")).toBe(2); // a ZWJ sequence is one glyph
    expect(displayWidth("e\u0301")).toBe(1);
    expect(displayWidth("\u001b[31mred\u001b[39m")).toBe(3);
  });
});

describe("truncateToWidth", () => {
  it("leaves text that fits unchanged and cuts longer text with an ellipsis", () => {
    expect(truncateToWidth("hello", 5)).toBe("hello");
    expect(truncateToWidth("hello world", 5)).toBe("hell…");
    expect(truncateToWidth("hello", 1)).toBe("…");
    expect(truncateToWidth("hello", 0)).toBe("");
  });

  it("never splits a wide character or a grapheme cluster", () => {
    // 猫 is 2 wide: after one 猫 (2) and the ellipsis (1) there is no room for a second.
    expect(truncateToWidth("猫猫猫", 4)).toBe("猫…");
    expect(truncateToWidth("🐈‍⬛🐈‍⬛🐈‍⬛", 5)).toBe("🐈‍⬛🐈‍⬛…");
    expect(truncateToWidth("e\u0301e\u0301e\u0301", 2)).toBe("e\u0301…");
  });

  it("always returns text no wider than asked", () => {
    const text = "ab猫🐈‍⬛ce\u0301fg猫";
    for (let width = 0; width <= displayWidth(text) + 1; width++) {
      expect(displayWidth(truncateToWidth(text, width))).toBeLessThanOrEqual(width);
    }
  });
});

describe("padding", () => {
  it("pads by display width, not by string length", () => {
    expect(padEndToWidth("猫", 4)).toBe("猫  ");
    expect(padStartToWidth("🐈", 3)).toBe(" 🐈");
    expect(padStartToWidth("toolong", 3)).toBe("toolong");
  });

  it("splits text into grapheme clusters", () => {
    expect(splitGraphemes("a🐈‍⬛e\u0301")).toEqual(["a", "🐈‍⬛", "e\u0301"]);
  });
});
