import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadResult } from "@tokenscope/core/node";
import { XMLValidator } from "fast-xml-parser";
import { toHtml, toMarkdown, toPng, toSvg } from "tokenscope";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `view --html/--svg/--png/--plot/--md` and `attribute --viz-path`, end to end on stories260K.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-view-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let saved: string;
beforeAll(async () => {
  saved = join(root, "saved.json");
  const io = memoryIO();
  const code = await run(
    [
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--max-new-tokens",
      "3",
      "--out",
      saved,
      "--viz-path",
      join(root, "attributed.html"),
    ],
    io,
  );
  expect(code, io.err()).toBe(0);
  expect(io.err()).toContain(`wrote ${join(root, "attributed.html")} (html)`);
});

describe("view files", () => {
  it("attribute --viz-path writes the interactive page of the result it saved", async () => {
    const result = await loadResult(saved);
    // The saved JSON keeps float32 scores; the page was drawn from the same numbers before saving.
    const html = readFileSync(join(root, "attributed.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.length).toBeGreaterThan(toHtml(result).length * 0.9);
  });

  it("view --html, --svg --plot distribution and --png write each file; nothing is printed to stdout", async () => {
    const io = memoryIO();
    const html = join(root, "view.html");
    const svg = join(root, "distribution.svg");
    const png = join(root, "heatmap.png");
    const code = await run(
      ["view", saved, "--html", html, "--svg", svg, "--png", png, "--plot", "distribution", "--zoom", "1"],
      io,
    );
    expect(code, io.err()).toBe(0);
    expect(io.out()).toBe("");
    const result = await loadResult(saved);
    expect(readFileSync(html, "utf8")).toBe(toHtml(result));
    const svgText = readFileSync(svg, "utf8");
    expect(XMLValidator.validate(svgText)).toBe(true);
    expect(svgText).toBe(toSvg(result, { kind: "distribution" }));
    expect(readFileSync(png).equals(Buffer.from(toPng(result, { kind: "distribution", zoom: 1 })))).toBe(
      true,
    );
  });

  it("view --plot bar --step draws that step; --md prints the Markdown tables", async () => {
    const result = await loadResult(saved);
    const svg = join(root, "bar.svg");
    const io = memoryIO();
    expect(
      await run(["view", saved, "--svg", svg, "--plot", "bar", "--step", "1", "--digits", "3"], io),
    ).toBe(0);
    expect(readFileSync(svg, "utf8")).toBe(toSvg(result, { kind: "bar", step: 1, digits: 3 }));
    const md = memoryIO();
    expect(await run(["view", saved, "--md"], md)).toBe(0);
    expect(md.out()).toBe(`${toMarkdown(result)}\n`);
  });

  it("refuses what cannot be drawn before touching any file", async () => {
    const kept = join(root, "kept.html");
    writeFileSync(kept, "old");
    const cases: [string[], RegExp][] = [
      [
        ["view", saved, "--html", kept, "--plot", "bar"],
        /--plot needs --svg or --png|draws an SVG or PNG figure/,
      ],
      [["view", saved, "--svg", join(root, "x.svg"), "--step", "99", "--plot", "text"], /step/],
      [["view", saved, "--plot", "bar"], /--plot needs --svg or --png/],
      [["attribute", "--model", stories, "Hi", "--viz-path", join(root, "x.pdf")], /\.html|\.svg|\.png/],
      [["attribute", "--model", stories, "Hi", "--plot", "bar"], /--plot needs --viz-path/],
      [["attribute", "--model", stories, "Hi", "--viz-path", kept, "--plot", "distribution"], /SVG or PNG/],
    ];
    for (const [args, message] of cases) {
      const io = memoryIO();
      const code = await run(args, io);
      expect(code, args.join(" ")).not.toBe(0);
      expect(io.err()).toMatch(message);
    }
    expect(readFileSync(kept, "utf8")).toBe("old");
  });
});
