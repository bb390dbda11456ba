import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeColorScale } from "../common/color-scale.ts";
import { displayInline } from "../common/display-token.ts";
import { formatScore } from "../common/format-score.ts";
import { chromiumAvailable, launchChromium, openHtml } from "./chromium.test-helpers.ts";
import { toHtml, toMimeBundle } from "./to-html.ts";

/** Source "The cat sat", target " on the mat" with a target prefix and two step scores. */
const sourceAttributions = [
  [0.12, -0.5, 0.9],
  [0.3, 0.05, -0.2],
  [-0.7, 0.25, 0.4],
];
const targetAttributions = [
  [null, null, null],
  [0.6, null, null],
  [-0.1, 0.35, null],
];
const result = makeResult([
  makeSequence({
    source: ["The", " cat", " sat"],
    target: [" on", " the", " mat"],
    sourceAttributions,
    targetAttributions,
    stepScores: { probability: [0.5, 0.25, 0.125], entropy: [1.5, 2, 2.5] },
  }),
  makeSequence({
    source: ["Hello"],
    target: [" world"],
    sourceAttributions: [[1]],
    targetAttributions: null,
  }),
]);

const scale = makeColorScale([...sourceAttributions.flat(), ...targetAttributions.flat()]);
const rgb = (score: number) => {
  const { r, g, b } = scale.colorOf(score)!;
  return `rgb(${r}, ${g}, ${b})`;
};

/** What the token flow shows: each token's text, value and background. */
async function tokenState(page: import("playwright-core").Page) {
  return page.$$eval(".tsv-text .tsv-token", (nodes) =>
    nodes.map((node) => ({
      text: node.querySelector(".tsv-token-text")?.textContent ?? "",
      value: node.querySelector(".tsv-value")?.textContent ?? "",
      background: getComputedStyle(node).backgroundColor,
      current: node.classList.contains("tsv-current"),
    })),
  );
}

describe.skipIf(!chromiumAvailable)("the standalone HTML view in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("hovering a generated token shows what drove it, with the result's values and colours", async () => {
    const opened = await openHtml(browser, toHtml(result));
    try {
      const { page } = opened;
      for (const step of [1, 2, 0]) {
        await page.hover(`.tsv-text button[data-step="${step}"]`);
        const state = await tokenState(page);
        expect(state.map((token) => token.text)).toEqual(["The", " cat", " sat", " on", " the", " mat"]);
        const expected = [
          ...sourceAttributions[step]!,
          ...targetAttributions[step]!.map((score, u) => (u < step ? score : null)),
        ];
        expected.forEach((score, i) => {
          expect(state[i]!.value).toBe(score === null ? "" : formatScore(score, 3));
          expect(state[i]!.background).toBe(score === null ? "rgba(0, 0, 0, 0)" : rgb(score));
        });
        expect(state.map((token) => token.current)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i === 3 + step));
        const currentRow = await page.$eval(".tsv-matrix tr.tsv-row-current", (row) => row.dataset.step);
        expect(currentRow).toBe(String(step));
      }
      // The matrix holds every cell, coloured the same way, and the step scores.
      const rows = await page.$$eval(".tsv-matrix tbody tr", (trs) =>
        trs.map((tr) =>
          Array.from(tr.querySelectorAll("td")).map((td) => [
            td.textContent,
            getComputedStyle(td).backgroundColor,
          ]),
        ),
      );
      expect(rows[2]!.map(([text]) => text)).toEqual([
        "-0.700",
        "0.250",
        "0.400",
        "-0.100",
        "0.350",
        "",
        "0.125",
        "2.500",
      ]);
      expect(rows[2]![0]![1]).toBe(rgb(-0.7));
      expect(rows[1]![3]![1]).toBe(rgb(0.6));
      const status = await page.textContent(".tsv-status");
      expect(status).toContain("strongest attribution 0.900 to “␣sat”");
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.requests).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("works with the keyboard: arrows, Home and End move between generated tokens", async () => {
    const opened = await openHtml(browser, toHtml(result));
    try {
      const { page } = opened;
      // Tab reaches the current (last) generated token first: one tab stop for the whole group.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.step);
      expect(await focused()).toBe("2");
      await page.keyboard.press("ArrowLeft");
      expect(await focused()).toBe("1");
      expect((await tokenState(page))[0]!.value).toBe(formatScore(sourceAttributions[1]![0]!, 3));
      await page.keyboard.press("Home");
      expect(await focused()).toBe("0");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("ArrowRight");
      expect(await focused()).toBe("2");
      expect(await page.textContent(".tsv-status")).toContain("Generated token 3 “␣mat”");
      const tabStops = await page.$$eval(".tsv-text button", (buttons) => buttons.map((b) => b.tabIndex));
      expect(tabStops).toEqual([-1, -1, 0]);
      // Screen readers get names: tokens are labelled, the scale is described.
      expect(await page.getAttribute('.tsv-text button[data-step="0"]', "aria-label")).toBe(
        "generated token 1: “␣on”",
      );
      expect(await page.getAttribute(".tsv-legend-bar", "aria-label")).toMatch(/^Colour scale: blue -0\.900/);
    } finally {
      await opened.close();
    }
  });

  it("the sequence picker switches sequences", async () => {
    const opened = await openHtml(browser, toHtml(result));
    try {
      const { page } = opened;
      await page.selectOption(".tsv-picker", "1");
      const state = await tokenState(page);
      expect(state.map((token) => [token.text, token.value])).toEqual([
        ["Hello", "1.000"],
        [" world", ""],
      ]);
      expect(await page.textContent("section h2")).toBe("Sequence 1");
    } finally {
      await opened.close();
    }
  });

  it("hostile tokens and run info render as visible text: no dialog, no console error, no request", async () => {
    const hostile = [
      "<script>alert(1)</script>",
      '"><img src=x onerror=alert(1)>',
      "</style>",
      "\u001b]52;c;SGVsbG8=\u0007",
      "javascript:alert(1)",
      "</script><script>alert(2)</script>",
      "\u2028<!--",
    ];
    const evil = makeResult(
      [
        makeSequence({
          source: hostile,
          target: ["<b>bold</b>", "'onmouseover='alert(3)"],
          stepScores: { "<img src=x onerror=alert(4)>": [0.5, 0.5] },
        }),
      ],
      {
        modelId: '<svg onload=alert(5)>"',
        info: {
          method: { id: "</title><script>alert(6)</script>", parameters: { x: "</script>" } },
        },
      },
    );
    const opened = await openHtml(browser, toHtml(evil));
    try {
      const { page } = opened;
      await page.hover('.tsv-text button[data-step="1"]');
      await page.focus('.tsv-text button[data-step="0"]');
      const texts = await page.$$eval(".tsv-text .tsv-token-text", (nodes) =>
        nodes.map((n) => n.textContent),
      );
      expect(texts).toEqual([...hostile, "<b>bold</b>", "'onmouseover='alert(3)"].map(displayInline));
      expect(texts[3]).toBe("␛]52;c;SGVsbG8=␇");
      const counts = await page.evaluate(() => ({
        scripts: document.querySelectorAll("script").length,
        images: document.querySelectorAll("img, svg, b").length,
        handlers: Array.from(document.querySelectorAll("*")).filter((node) =>
          Array.from(node.attributes).some((attribute) => attribute.name.startsWith("on")),
        ).length,
        title: document.title,
        info: document.querySelector(".tsv-info")?.textContent,
      }));
      expect(counts).toMatchObject({ scripts: 2, images: 0, handlers: 0 });
      expect(counts.title).toBe('tokenscope: <svg onload=alert(5)>" · </title><script>alert(6)</script>');
      expect(counts.info).toContain('x="</script>"');
      expect(await page.textContent(".tsv-matrix thead")).toContain("<img src=x onerror=alert(4)>");
      await page.waitForTimeout(200);
      expect(opened.dialogs).toEqual([]);
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.requests).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("a contrastive sequence shows its target set against the contrast, escaped, differing columns marked", async () => {
    const sequence = makeSequence({
      source: ["Say", ":"],
      target: ["<b>", " cat"],
      stepScores: { contrast_prob_diff: [0.25, -0.125] },
    });
    sequence.contrast = {
      sourceText: "Say </script><img src=x onerror=alert(1)>:",
      targetText: "<i> big cat",
      target: [
        { id: 7, text: "<i>", span: null, special: false },
        { id: 8, text: " big\u001b[31m", span: null, special: false },
        { id: 101, text: " cat", span: null, special: false },
      ],
      alignment: [0, 2],
    };
    const contrastive = makeResult([sequence], {
      info: { attributedFunction: { id: "contrast_prob_diff", parameters: {} } },
    });
    const opened = await openHtml(browser, toHtml(contrastive, { digits: 2 }));
    try {
      const { page } = opened;
      const title = (target: string, contrast: string, differs: boolean) =>
        `title="“${target}” ↔ “${contrast}”${differs ? " (differs)" : ""}"`;
      const lone = 'title="contrast token “␣big␛[31m”: no target token faces it"';
      const sr = '<span class="tsv-sr"> (differs)</span>';
      expect(await page.$eval(".tsv-contrast tbody", (node) => node.innerHTML)).toBe(
        [
          '<tr class="tsv-contrast-target"><th scope="row">target</th>',
          `<td class="tsv-differs" ${title("&lt;b&gt;", "&lt;i&gt;", true)} data-step="0">&lt;b&gt;</td>`,
          `<td class="tsv-differs tsv-unaligned" ${lone}>·</td>`,
          `<td ${title("␣cat", "␣cat", false)} data-step="1" class="tsv-contrast-current">␣cat</td></tr>`,
          '<tr class="tsv-contrast-contrast"><th scope="row">contrast</th>',
          `<td class="tsv-differs" ${title("&lt;b&gt;", "&lt;i&gt;", true)} data-step="0">&lt;i&gt;${sr}</td>`,
          `<td class="tsv-differs tsv-unaligned" ${lone}>␣big␛[31m${sr}</td>`,
          `<td ${title("␣cat", "␣cat", false)} data-step="1" class="tsv-contrast-current">␣cat</td></tr>`,
          '<tr class="tsv-step"><th scope="row">contrast_prob_diff</th>',
          `<td class="tsv-differs" ${title("&lt;b&gt;", "&lt;i&gt;", true)} data-step="0">0.25</td>`,
          `<td class="tsv-differs tsv-unaligned" ${lone}></td>`,
          `<td ${title("␣cat", "␣cat", false)} data-step="1" class="tsv-contrast-current">-0.13</td></tr>`,
        ].join(""),
      );
      expect(await page.textContent(".tsv-contrast-source")).toBe(
        "Contrast source: “Say </script><img src=x onerror=alert(1)>:”",
      );
      // Differing columns are marked by more than colour alone: bold, and a border.
      const marked = await page.$eval(
        ".tsv-contrast td.tsv-differs",
        (node) => getComputedStyle(node).fontWeight,
      );
      expect(marked).toBe("700");
      // Hovering a column of the diff selects its step everywhere.
      await page.hover('.tsv-contrast td[data-step="0"]');
      expect(await page.$eval(".tsv-matrix tr.tsv-row-current", (row) => row.dataset.step)).toBe("0");
      expect(await page.$$eval(".tsv-contrast .tsv-contrast-current", (nodes) => nodes.length)).toBe(3);
      expect(await page.evaluate(() => document.querySelectorAll("img, b, i").length)).toBe(0);
      expect(opened.dialogs).toEqual([]);
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.requests).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it("mounts as a component in any page (what the playground uses), with its styles, and unmounts", async () => {
    const bundled = await build({
      stdin: {
        contents:
          'import { mountAttributionView } from "./mount-view.ts"; globalThis.tokenscopeTest = { mountAttributionView };',
        resolveDir: new URL(".", import.meta.url).pathname,
        loader: "ts",
      },
      bundle: true,
      platform: "browser",
      format: "iife",
      conditions: ["@tokenscope/source", "browser"],
      write: false,
      logLevel: "silent",
    });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(5_000);
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      await page.setContent('<main><p id="before">host page</p><div id="app">old content</div></main>');
      await page.addScriptTag({ content: bundled.outputFiles[0]!.text });
      await page.evaluate((value) => {
        const api = (
          globalThis as unknown as {
            tokenscopeTest: { mountAttributionView: (...args: unknown[]) => unknown };
          }
        ).tokenscopeTest;
        (globalThis as unknown as { view: unknown }).view = api.mountAttributionView(
          document.getElementById("app"),
          value,
          {
            sequence: 0,
            digits: 2,
          },
        );
      }, result);
      expect(await page.textContent("#app")).not.toContain("old content");
      expect(await page.$eval("#app .tsv-target", (node) => getComputedStyle(node).cursor)).toBe("pointer");
      await page.hover('#app button[data-step="1"]');
      expect((await tokenState(page)).map((token) => token.value).slice(0, 4)).toEqual([
        "0.30",
        "0.05",
        "-0.20",
        "0.60",
      ]);
      expect(
        await page.evaluate(() => (globalThis as unknown as { view: { current: unknown } }).view.current),
      ).toEqual({
        sequence: 0,
        step: 1,
      });
      await page.evaluate(() => (globalThis as unknown as { view: { destroy(): void } }).view.destroy());
      expect(await page.$$eval("#app > *", (nodes) => nodes.length)).toBe(0);
      expect(await page.textContent("#before")).toBe("host page");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the notebook display (a sandboxed frame) draws the view under its own CSP", async () => {
    const bundle = toMimeBundle(result);
    const opened = await openHtml(
      browser,
      `<!doctype html><title>notebook</title><body>${bundle["text/html"]}</body>`,
    );
    try {
      const frame = opened.page.frameLocator("iframe");
      await frame.locator('button[data-step="2"]').hover();
      const values = await frame.locator(".tsv-text .tsv-value").allTextContents();
      expect(values.slice(0, 3)).toEqual(sourceAttributions[2]!.map((score) => formatScore(score, 3)));
      // The frame's document is opaque-origin: it cannot reach the notebook page around it.
      const reachable = await opened.page.evaluate(() => {
        try {
          return document.querySelector("iframe")!.contentDocument !== null;
        } catch {
          return false;
        }
      });
      expect(reachable).toBe(false);
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.requests).toEqual([]);
    } finally {
      await opened.close();
    }
  });
});
