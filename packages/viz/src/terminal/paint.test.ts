import { Ansis } from "ansis";
import { describe, expect, it } from "vitest";
import { paint } from "./paint.ts";

describe("paint", () => {
  it("paints truecolour background and text codes, and nothing in plain mode", () => {
    expect(paint(new Ansis(3), { r: 5, g: 48, b: 97 }, "x")).toBe(
      "\u001b[48;2;5;48;97m\u001b[38;2;255;255;255mx\u001b[39m\u001b[49m",
    );
    expect(paint(new Ansis(0), { r: 5, g: 48, b: 97 }, "x")).toBe("x");
    expect(paint(new Ansis(3), null, "x")).toBe("x");
  });
});
