import { describe, expect, it } from "vitest";
import { element, formatNumber, text } from "./markup.ts";

describe("element", () => {
  it("escapes attribute values, rounds numbers and leaves out missing attributes", () => {
    expect(element("rect", { x: 1.23456, y: -0.001, fill: 'a"b', stroke: undefined })).toBe(
      '<rect x="1.23" y="0" fill="a&quot;b"/>',
    );
    expect(element("text", { x: 0 }, text("<b>"))).toBe('<text x="0">&lt;b&gt;</text>');
  });

  it("refuses elements and attributes that could run script or load anything", () => {
    for (const name of ["script", "foreignObject", "a", "image", "use", "style", "iframe"]) {
      expect(() => element(name, {})).toThrow(/not allowed/);
    }
    for (const name of ["onload", "onclick", "href", "xlink:href", "x y", 'x"']) {
      expect(() => element("g", { [name]: "1" })).toThrow(/not allowed/);
    }
  });

  it("formats numbers deterministically and refuses non-finite ones", () => {
    expect(formatNumber(0.005)).toBe("0.01");
    expect(formatNumber(-0.004)).toBe("0");
    expect(formatNumber(12)).toBe("12");
    expect(() => formatNumber(Number.NaN)).toThrow();
  });
});
