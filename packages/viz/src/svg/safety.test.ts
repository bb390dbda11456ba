import { describe, expect, it } from "vitest";
import { tokenLabel } from "../common/display-token.ts";
import { svgKinds } from "./options.ts";
import { allNodes, hostileResult, hostileTexts, parseSvg } from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

const forbiddenElements = new Set([
  "script",
  "img",
  "image",
  "foreignObject",
  "a",
  "style",
  "iframe",
  "use",
  "object",
]);

describe("toSvg with hostile token texts", () => {
  for (const kind of svgKinds) {
    it(`${kind}: stays valid XML with no active content, the texts escaped`, () => {
      const svg = toSvg(hostileResult, { kind, maxTokenWidth: 40 });
      const root = parseSvg(svg);
      const nodes = allNodes(root);
      for (const node of nodes) {
        expect(forbiddenElements.has(node.name), node.name).toBe(false);
        for (const name of Object.keys(node.attributes)) {
          expect(name, `${node.name} ${name}`).not.toMatch(/^on|href/i);
          expect(node.attributes[name]).not.toMatch(/javascript:|url\(/i);
        }
      }
      // Nothing XML 1.0 refuses: no raw C0 control but the line feeds between elements, no lone surrogate.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
      expect(svg).not.toMatch(/[\u0000-\u0009\u000b-\u001f\ufffe\uffff]/);
      expect(svg).not.toMatch(/[\ud800-\udfff]/u);
      expect(svg).not.toContain("<script");
      expect(svg).not.toContain("<img");
      expect(svg).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(svg).toContain("a &amp; b");
      // Every token still shows, as its label, in some text or tooltip.
      const texts = nodes
        .filter((node) => node.name === "text" || node.name === "title")
        .map((node) => node.text);
      for (const raw of hostileTexts) {
        const label = tokenLabel({ text: raw }).replace(/[\ud800-\udfff]/gu, "\ufffd");
        expect(
          texts.some((text) => text.includes(label)),
          label,
        ).toBe(true);
      }
      expect(texts.some((text) => text.includes('<svg onload="alert(1)">'))).toBe(true);
    });
  }

  it("shows a terminal escape as control pictures, never as the raw escape", () => {
    const svg = toSvg(hostileResult);
    expect(svg).toContain("␛]52;c;SGVsbG8=␇");
    expect(svg).not.toContain("\u001b");
  });
});
