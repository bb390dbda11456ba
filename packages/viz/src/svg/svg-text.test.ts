import { describe, expect, it } from "vitest";
import { svgText } from "./svg-text.ts";

describe("svgText", () => {
  it("escapes the five XML specials and keeps tab, LF and CR as character references", () => {
    expect(svgText(`a & b <c> "d" 'e'`)).toBe("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;");
    expect(svgText("x\ty\nz\r")).toBe("x&#9;y&#10;z&#13;");
  });

  it("replaces characters XML 1.0 does not allow and keeps the rest", () => {
    expect(svgText("\u0000\u0007\u001b\u001f")).toBe("␀␇␛␟");
    expect(svgText("\ufffe\uffff")).toBe("\ufffd\ufffd");
    expect(svgText("a\ud800b\udc00c")).toBe("a\ufffdb\ufffdc");
    // Paired surrogates (an emoji), C1 controls and DEL are allowed characters.
    expect(svgText("🐈 猫 \u0085\u007f")).toBe("🐈 猫 \u0085\u007f");
  });
});
