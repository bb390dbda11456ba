import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, openHtml } from "./chromium.test-helpers.ts";
import { toHtml } from "./to-html.ts";

const reference = new URL("./__screenshots__/attribution-view.png", import.meta.url);

/** A prompt with BOS, a signed matrix with a target prefix, and one step score. */
const result = makeResult([
  makeSequence({
    source: [{ text: "", special: true, span: null, piece: "<s>" }, "Once", " upon", " a", " time"],
    target: [",", " there", " was", " a", " girl"],
    stepScores: { probability: [0.61, 0.34, 0.72, 0.55, 0.08] },
  }),
]);

/**
 * The view drawn by Chromium against a stored image. Set UPDATE_SCREENSHOTS=1 to rewrite the
 * reference after an intended change of the view (and look at it before committing).
 */
describe.skipIf(!chromiumAvailable)("the HTML view's look", () => {
  it("matches the stored screenshot within a small pixel tolerance", async () => {
    const browser = await launchChromium();
    try {
      const opened = await openHtml(browser, toHtml(result), { width: 820, height: 600, pinFonts: true });
      await opened.page.hover('.tsv-text button[data-step="3"]');
      await opened.page.mouse.move(0, 0);
      const shot = await opened.page.locator(".tsv").screenshot({ animations: "disabled" });
      await opened.close();
      if (process.env.UPDATE_SCREENSHOTS === "1" || !existsSync(reference)) {
        expect(
          process.env.CI,
          "the reference image is missing: run the test locally with UPDATE_SCREENSHOTS=1",
        ).not.toBe("true");
        await mkdir(new URL(".", reference), { recursive: true });
        await writeFile(reference, shot);
      }
      const actual = PNG.sync.read(shot);
      const expected = PNG.sync.read(await readFile(reference));
      expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
      const differing = pixelmatch(actual.data, expected.data, undefined, actual.width, actual.height, {
        threshold: 0.2,
      });
      // Anti-aliased pixels are not counted (pixelmatch); one recoloured cell alone is about 0.3% of the image.
      expect(differing / (actual.width * actual.height)).toBeLessThan(0.002);
    } finally {
      await browser.close();
    }
  });
});
