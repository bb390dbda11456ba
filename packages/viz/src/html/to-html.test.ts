import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isTokenscopeError } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { generatedPath, standaloneModuleSource } from "../../scripts/standalone-bundle.ts";
import { makeColorScale } from "../common/color-scale.ts";
import { contrastView } from "../common/contrast-view.ts";
import { escapeHtml, jsonForScript } from "./escape-html.ts";
import { standaloneScript } from "./standalone-script.gen.ts";
import { standaloneCsp, toHtml, toMimeBundle } from "./to-html.ts";
import { attributionViewCss } from "./view-css.ts";
import { attributionViewData } from "./view-data.ts";

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

const hostile = makeResult(
  [
    makeSequence({
      source: ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</style>", "\u2028x"],
      target: ["</script><!--", "\u001b]52;c;SGVsbG8=\u0007"],
    }),
  ],
  { modelId: "</title><script>alert(2)</script>" },
);

/** The page's inline elements: [opening tag, body] of every <script> and <style>. */
function inlineElements(html: string) {
  return [...html.matchAll(/<(script|style)([^>]*)>([\s\S]*?)<\/\1>/g)].map((m) => ({
    tag: m[1]!,
    attributes: m[2]!.trim(),
    body: m[3]!,
  }));
}

describe("toHtml", () => {
  it("allows exactly its own script and style by hash, and nothing on the network", () => {
    const html = toHtml(hostile);
    const elements = inlineElements(html);
    expect(elements.map((e) => `${e.tag} ${e.attributes}`)).toEqual([
      "style ",
      'script type="application/json" id="tokenscope-data"',
      "script ",
    ]);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/
      .exec(html)?.[1]
      ?.replace(/&apos;/g, "'");
    expect(csp).toBe(standaloneCsp);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(elements[2]!.body)}`);
    expect(csp).toContain(`style-src ${hash(attributionViewCss)}`);
    expect(elements[0]!.body).toBe(attributionViewCss);
    const markup = elements.reduce((rest, element) => rest.replace(element.body, ""), html);
    expect(markup).not.toMatch(/\b(src|href|on[a-z]+)=/);
  });

  it("carries the result as escaped JSON data that reads back to the view data", () => {
    const html = toHtml(hostile);
    const json = inlineElements(html)[1]!.body;
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(attributionViewData(hostile));
    // Outside the data block, the result's strings only appear escaped (here: the title).
    const outside = html.replace(json, "");
    expect(outside).not.toContain("alert(1)");
    expect(outside).toContain(
      "<title>tokenscope: &lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt; · saliency</title>",
    );
  });

  it("ships the bundled script that standalone-entry.ts builds today", async () => {
    expect(await readFile(generatedPath, "utf8")).toBe(await standaloneModuleSource());
  });
});

describe("escaping", () => {
  it("escapes markup characters in text and attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&apos;y&apos;&gt;&amp;&lt;/a&gt;",
    );
  });
  it("keeps JSON exact while no character can end a script element", () => {
    const value = { a: "</script><!--", b: "\u2028\u2029&", c: "\ud800" };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(text).toContain("\\ud800");
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("attributionViewData", () => {
  const result = makeResult([
    makeSequence({
      source: ["a", "b"],
      target: ["c", "d"],
      sourceAttributions: [
        [0.5, -1],
        [0.25, 0],
      ],
    }),
  ]);
  it("colours every cell with the sequence's scale and formats it with the digits asked for", () => {
    const data = attributionViewData(result, { digits: 1, showTargetPrefix: false });
    const scale = makeColorScale([0.5, -1, 0.25, 0]);
    const { r, g, b } = scale.colorOf(-1)!;
    expect(data.sequences[0]!.cells[0]![1]).toMatchObject({
      score: -1,
      text: "-1.0",
      background: `rgb(${r}, ${g}, ${b})`,
    });
    expect(data.sequences[0]!.cells[1]!.map((cell) => cell.text)).toEqual(["0.3", "0.0"]);
    expect(data.sequences[0]!.scale).toMatchObject({
      kind: "diverging",
      low: "-1.0",
      high: "1.0",
      middle: "0.0",
    });
  });
  it("refuses bad options with a typed error", () => {
    for (const options of [{ digits: -1 }, { scale: "rainbow" as never }, { sequence: 3 }]) {
      let code = "none";
      try {
        attributionViewData(result, options);
      } catch (error) {
        code = isTokenscopeError(error) ? error.code : "other";
      }
      expect(code).toBe("INVALID_INPUT");
    }
  });
});

describe("toMimeBundle (Jupyter display)", () => {
  it("gives text/html as a sandboxed frame holding the standalone page, and text/plain", () => {
    const bundle = toMimeBundle(hostile);
    expect(Object.keys(bundle).sort()).toEqual(["text/html", "text/plain"]);
    const frame =
      /^<iframe sandbox="allow-scripts" title="tokenscope attribution" style="[^"]*" srcdoc="([^"]*)"><\/iframe>$/.exec(
        bundle["text/html"]!,
      );
    expect(frame).not.toBeNull();
    const unescaped = frame![1]!
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&#10;/g, "\n")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
    expect(unescaped).toBe(toHtml(hostile));
    expect(bundle["text/plain"]).toBe(
      "tokenscope attribution: </title><script>alert(2)</script> · saliency · 1 sequence(s) (4→2 tokens)",
    );
  });
});

describe("the contrast diff of a contrastive run", () => {
  const contrastive = () => {
    const sequence = makeSequence({
      source: ["Say", ":"],
      target: ["<b>", " cat"],
      stepScores: { contrast_prob_diff: [0.25, -0.125] },
    });
    sequence.contrast = {
      sourceText: "Say </script><script>alert(1)</script>:",
      targetText: "<i> big cat",
      target: [
        { id: 7, text: "<i>", span: null, special: false },
        { id: 8, text: " big\u001b[31m", span: null, special: false },
        { id: 101, text: " cat", span: null, special: false },
      ],
      alignment: [0, 2],
    };
    return makeResult([sequence, makeSequence({ source: ["x"], target: ["y"] })], {
      info: { attributedFunction: { id: "contrast_prob_diff", parameters: {} } },
    });
  };

  it("gives the view the common contrast columns, scores formatted with the digits asked for", () => {
    const result = contrastive();
    const data = attributionViewData(result, { digits: 2 });
    const view = contrastView(result.sequences[0]!, "contrast_prob_diff")!;
    expect(data.sequences[0]!.contrast).toEqual({
      columns: view.columns.map(({ score, ...column }) => ({
        ...column,
        scoreText: score === null ? "" : score.toFixed(2),
      })),
      scoreLabel: "contrast_prob_diff",
      sourceText: "Say </script><script>alert(1)</script>:",
    });
    expect(
      data.sequences[0]!.contrast!.columns.map((column) => [column.target?.label, column.contrast?.label]),
    ).toEqual([
      ["<b>", "<i>"],
      [undefined, "␣big␛[31m"],
      ["␣cat", "␣cat"],
    ]);
    expect(data.sequences[0]!.contrast!.columns.map((column) => column.scoreText)).toEqual([
      "0.25",
      "",
      "-0.13",
    ]);
    // A sequence without a contrast carries none: its data is as before.
    expect(data.sequences[1]).not.toHaveProperty("contrast");
  });

  it("reaches the page escaped, and the page's script and stylesheet draw it", () => {
    const result = contrastive();
    const html = toHtml(result);
    const json = inlineElements(html)[1]!.body;
    expect(json).not.toMatch(/[<>&]/);
    expect(json).toContain("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)");
    expect(JSON.parse(json).sequences[0].contrast).toEqual(
      attributionViewData(result).sequences[0]!.contrast,
    );
    expect(html.replace(json, "")).not.toContain("alert(1)");
    expect(standaloneScript).toContain("tsv-contrast");
    expect(standaloneScript).toContain("differing tokens marked");
    expect(attributionViewCss).toContain(".tsv-contrast td.tsv-differs");
  });
});
