/**
 * Headless Chromium for the HTML view's tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download), with a fresh profile (playwright makes a temporary one per launch) and no
 * background networking. Pages are opened from files so the page's own CSP applies, and everything
 * a page could do behind a user's back (dialogs, console errors, requests) is recorded.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium, which .ci/run installs. */
export const chromiumPath = "/usr/bin/chromium";

/** Whether the tests can run: Chromium is here, or this is CI (where its absence must fail). */
export const chromiumAvailable = existsSync(chromiumPath) || process.env.CI === "true";

const flags = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--font-render-hinting=none",
];

/**
 * The fonts of a screenshot, named rather than left to the machine's "system-ui" and "monospace"
 * (fonts-dejavu-core, which .ci/run installs), so the image is the same wherever Chromium draws it.
 */
const pinnedFonts = `
.tsv, .tsv * { font-family: "DejaVu Sans" !important; }
.tsv-text, .tsv-text *, .tsv-matrix, .tsv-matrix * { font-family: "DejaVu Sans Mono" !important; }
.tsv-matrix caption { font-family: "DejaVu Sans" !important; }
`;

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: flags, timeout: 30_000 });
}

/** What a page did while it was open. */
export interface PageRecord {
  page: Page;
  url: string;
  dialogs: string[];
  consoleErrors: string[];
  /** Every request but the page's own file. */
  requests: string[];
}

/** Writes `html` to a temporary file and opens it in a fresh context, recording what the page does. */
export async function openHtml(
  browser: Browser,
  html: string,
  options: { width?: number; height?: number; pinFonts?: boolean } = {},
): Promise<PageRecord & { close(): Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), "tokenscope-html-"));
  const file = join(folder, "view.html");
  await writeFile(file, html);
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1000, height: options.height ?? 700 },
    deviceScaleFactor: 1,
    colorScheme: "light",
    reducedMotion: "reduce",
    // Only to pin fonts for screenshots (a style the page's CSP would refuse); never for the safety tests.
    bypassCSP: options.pinFonts === true,
  });
  const page = await context.newPage();
  // Failures should fail fast, not wait out playwright's 30 s default per action.
  page.setDefaultTimeout(5_000);
  const record: PageRecord = { page, url, dialogs: [], consoleErrors: [], requests: [] };
  page.on("dialog", (dialog) => {
    record.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") record.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => record.consoleErrors.push(String(error)));
  context.on("request", (request) => {
    if (request.url() !== url) record.requests.push(request.url());
  });
  await page.goto(url, { waitUntil: "load" });
  if (options.pinFonts) await page.addStyleTag({ content: pinnedFonts });
  return {
    ...record,
    close: async () => {
      await context.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
