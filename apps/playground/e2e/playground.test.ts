/**
 * The playground end to end: the built site (dist/) served with the isolation headers, driven in
 * Debian's headless Chromium through playwright-core (no browser download). It checks that the
 * browser's numbers equal `tokenscope attribute` on the same input, that "Cancel" stops a long run,
 * that the page stays responsive while the worker computes, and that a `?plugin=` method runs.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { memoryIO, run } from "@tokenscope/cli";
import { type Browser, chromium, type Page } from "playwright-core";
import { type AttributionResult, parseResult, writeRandomHfFolder } from "tokenscope";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHub, startLocalHub } from "../../../packages/models/src/hf/hub-server.test-helpers.ts";

/** The site as `tokenscope playground` serves it: its origin and how to stop it. */
interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves `site` with `tokenscope playground --dir` (the command people who installed the CLI run),
 * on a free port of 127.0.0.1.
 */
async function servePlayground(site: string): Promise<StaticServer> {
  const controller = new AbortController();
  const io = { ...memoryIO(), signal: controller.signal };
  const running = run(["playground", "--dir", site, "--port", "0"], io);
  const deadline = Date.now() + 20_000;
  while (!/playground at (\S+)/.test(io.err())) {
    if (Date.now() > deadline) throw new Error(`tokenscope playground did not start: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = /playground at (\S+)/.exec(io.err())![1]!;
  return {
    origin: url.replace(/\/$/, ""),
    close: async () => {
      controller.abort();
      await running;
    },
  };
}

const chromiumPath = "/usr/bin/chromium";
const app = resolve(import.meta.dirname, "..");
const repo = resolve(app, "../..");
const demoModel = resolve(repo, "../shared/models/stories260K/stories260K.bin");
const prompt = "Once upon a time";
const maxNewTokens = 4;
/** Browser (onnxruntime-web, wasm) against Node (onnxruntime-node): float32 both, different kernels. */
const tolerance = 1e-4;
/**
 * The longest task the page may run while the worker computes. Chromium reports tasks over 50 ms;
 * rendering a result (parse, the view, a re-render) is a few tens of ms on 2 loaded cores, so
 * 200 ms leaves room for a slow CI machine while still catching any model work on the main thread
 * (one saliency call on stories260K takes longer than that there).
 */
const maxLongTaskMs = 200;

const canRun = existsSync(chromiumPath);
if (!canRun && process.env.CI === "true")
  throw new Error(`${chromiumPath} is missing: CI must run this test.`);

const exec = promisify(execFile);

/** `tokenscope attribute` on the demo model, saved with --out, parsed back. */
async function cliResult(folder: string, method: string, extra: string[] = []): Promise<AttributionResult> {
  const out = join(folder, `${method}.json`);
  const args = ["--conditions=@tokenscope/source", "--import", "tsx", "apps/cli/src/bin.ts", "attribute"];
  args.push("--model", demoModel, prompt, "--method", method, "--max-new-tokens", String(maxNewTokens));
  await exec(process.execPath, [...args, ...extra, "--out", out], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return parseResult(await readFile(out));
}

/** The largest |difference| between two results' attribution matrices and step scores. */
function maxDifference(browser: AttributionResult, cli: AttributionResult): number {
  let largest = 0;
  const compare = (a: (number | null)[][] | null, b: (number | null)[][] | null) => {
    expect(a === null).toBe(b === null);
    expect(a?.length).toBe(b?.length);
    a?.forEach((row, t) => {
      row.forEach((value, s) => {
        const other = b![t]![s];
        expect(value === null).toBe(other === null);
        if (value !== null && other !== null && other !== undefined)
          largest = Math.max(largest, Math.abs(value - other));
      });
    });
  };
  expect(browser.sequences).toHaveLength(cli.sequences.length);
  browser.sequences.forEach((sequence, index) => {
    const other = cli.sequences[index]!;
    expect(sequence.target.map((token) => token.id)).toEqual(other.target.map((token) => token.id));
    compare(sequence.sourceAttributions, other.sourceAttributions);
    compare(sequence.targetAttributions, other.targetAttributions);
    expect(Object.keys(sequence.stepScores).sort()).toEqual(Object.keys(other.stepScores).sort());
    for (const [id, scores] of Object.entries(sequence.stepScores))
      compare([scores], [other.stepScores[id]!]);
  });
  return largest;
}

/** Records the page's long tasks (PerformanceObserver "longtask") into `window.__longTasks`. */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const record: number[] = [];
    (window as unknown as { __longTasks: number[] }).__longTasks = record;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) record.push(entry.duration);
    }).observe({ type: "longtask", buffered: true });
  });
}

async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
}

async function openPlayground(browser: Browser, origin: string, query = ""): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await watchLongTasks(page);
  await page.goto(`${origin}/${query}`);
  await page.getByRole("status").filter({ hasText: "Pick a model" }).waitFor();
  await page.getByLabel("Model", { exact: true }).selectOption("demo");
  await page.getByRole("button", { name: "Load model" }).click();
  await page.getByRole("status").filter({ hasText: "Model loaded." }).waitFor();
  return page;
}

async function runMethod(
  page: Page,
  method: string,
  parameters: Record<string, string> = {},
  tokens = maxNewTokens,
) {
  await page.getByLabel("Method", { exact: true }).selectOption(method);
  for (const [name, value] of Object.entries(parameters))
    await page.getByLabel(name, { exact: true }).fill(value);
  await page.getByLabel("Max new tokens").fill(String(tokens));
  await page.getByRole("button", { name: "Attribute", exact: true }).click();
}

/** The bytes and file name of what `button` downloads. */
async function downloaded(
  page: Page,
  button: string,
): Promise<{ bytes: Buffer; name: string; path: string }> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: button, exact: true }).click(),
  ]);
  const path = (await download.path())!;
  return { bytes: await readFile(path), name: download.suggestedFilename(), path };
}

async function downloadedResult(page: Page): Promise<AttributionResult> {
  return parseResult((await downloaded(page, "Download JSON")).bytes);
}

describe.skipIf(!canRun)("playground in Chromium", () => {
  let server: StaticServer;
  let browser: Browser;
  let folder: string;
  let cli: Promise<Record<string, AttributionResult>>;
  let hub: LocalHub;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "tokenscope-playground-"));
    // The CLI runs while the browser starts and loads (one child at a time: 2 cores).
    cli = (async () => ({
      saliency: await cliResult(folder, "saliency"),
      integrated_gradients: await cliResult(folder, "integrated_gradients"),
    }))();
    cli.catch(() => {});
    // The built site with the test plugin beside it, so that the page may import it (same origin).
    const site = join(folder, "site");
    cpSync(resolve(app, "dist"), site, { recursive: true });
    cpSync(resolve(app, "e2e/fixtures"), join(site, "fixtures"), { recursive: true });
    server = await servePlayground(site);
    // A hub of one repository, answering as huggingface.co does (CORS included), for hub ids.
    const repository = join(folder, "tiny-llama");
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 32,
      heads: 2,
      vocab: 300,
      seed: 3,
      out: repository,
    });
    hub = await startLocalHub({ "tiny-org/tiny-llama": repository });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout: 30_000,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await hub?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("saliency and integrated_gradients equal `tokenscope attribute`, without long tasks", async () => {
    const page = await openPlayground(browser, server.origin);
    for (const name of ["Model", "Prompt", "Method"])
      await expect(page.getByLabel(name, { exact: true }).count()).resolves.toBe(1);
    for (const name of ["Attribute", "Cancel", "Download JSON"]) {
      await expect(page.getByRole("button", { name, exact: true }).count()).resolves.toBe(1);
    }
    await longTasks(page);
    const differences: Record<string, number> = {};
    const longest: number[] = [];
    for (const method of ["saliency", "integrated_gradients"]) {
      await runMethod(page, method);
      await page.getByRole("status").filter({ hasText: "Done." }).waitFor({ timeout: 90_000 });
      longest.push(...(await longTasks(page)));
      const result = await downloadedResult(page);
      expect(result.info.method.id).toBe(method);
      differences[method] = maxDifference(result, (await cli)[method]!);
      if (method === "saliency" && process.env.UPDATE_SCREENSHOT === "1") {
        await page.screenshot({ path: resolve(app, "docs/screenshot.png"), fullPage: true });
      }
    }
    await expect(page.locator(".run-info").textContent()).resolves.toMatch(/onnxruntime-web \((wasm|webgpu)/);
    process.env.PLAYGROUND_FIGURES === "1" &&
      (await import("node:fs/promises")).writeFile(
        join(tmpdir(), "playground-figures.json"),
        JSON.stringify({ differences, longestTaskMs: Math.max(0, ...longest) }),
      );
    for (const difference of Object.values(differences)) expect(difference).toBeLessThanOrEqual(tolerance);
    expect(Math.max(0, ...longest)).toBeLessThan(maxLongTaskMs);

    // The other exports of the last result, and the saved JSON loaded back (by the page and by
    // `tokenscope view`).
    const svg = await downloaded(page, "Download SVG");
    expect(svg.name).toBe("tokenscope-integrated_gradients.svg");
    expect(svg.bytes.toString("utf8")).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const png = await downloaded(page, "Download PNG");
    expect([...png.bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(100); // width from the IHDR chunk
    const html = await downloaded(page, "Download HTML");
    expect(html.bytes.toString("utf8")).toMatch(/<!doctype html>/i);
    expect(html.bytes.toString("utf8")).toContain("integrated_gradients");
    const json = await downloaded(page, "Download JSON");
    const viewed = memoryIO();
    expect(await run(["view", json.path], viewed), viewed.err()).toBe(0);
    expect(viewed.out()).toContain("integrated_gradients");
    await page.getByLabel("Load result", { exact: true }).setInputFiles({
      name: "saved.json",
      mimeType: "application/json",
      buffer: (await downloaded(page, "Download JSON")).bytes,
    });
    // The file is read asynchronously: the loaded result has no run info (it did not run here).
    await page.locator(".run-info").waitFor({ state: "detached" });
    expect(
      maxDifference(await downloadedResult(page), (await cli)["integrated_gradients"]!),
    ).toBeLessThanOrEqual(tolerance);
    await page.context().close();
  });

  it("Cancel stops a long integrated_gradients run within 2 s", async () => {
    const page = await openPlayground(browser, server.origin);
    await runMethod(page, "integrated_gradients", { n_steps: "2000" }, 16);
    await page.getByRole("status").filter({ hasText: "Running" }).waitFor();
    await page.waitForTimeout(500);
    const clicked = Date.now();
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Cancelled." }).waitFor({ timeout: 2_000 });
    const latencyMs = Date.now() - clicked;
    process.env.PLAYGROUND_FIGURES === "1" &&
      (await import("node:fs/promises")).writeFile(
        join(tmpdir(), "playground-cancel.json"),
        JSON.stringify({ latencyMs }),
      );
    expect(latencyMs).toBeLessThan(2_000);
    await page.context().close();
  });

  it("a ?plugin= method appears with its generated form and runs", async () => {
    const page = await openPlayground(browser, server.origin, "?plugin=/fixtures/test-plugin.js");
    await expect(
      page.getByLabel("Method", { exact: true }).locator("option", { hasText: "uniform" }).count(),
    ).resolves.toBe(1);
    await page.getByLabel("Method", { exact: true }).selectOption("uniform");
    const scale = page.getByLabel("scale", { exact: true });
    await expect(scale.inputValue()).resolves.toBe("1");
    await expect(page.getByText("Total attribution spread evenly").count()).resolves.toBe(1);
    await runMethod(page, "uniform", { scale: "2" }, 2);
    await page.getByRole("status").filter({ hasText: "Done." }).waitFor();
    const result = await downloadedResult(page);
    const sequence = result.sequences[0]!;
    const share = 2 / sequence.source.length;
    for (const row of sequence.sourceAttributions)
      for (const value of row) expect(value).toBeCloseTo(share, 5);
    await page.context().close();
  });

  it("a hub id downloads with progress into the browser's Cache Storage, and loads from it the next time", async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const loadFromHub = async () => {
      await page.goto(`${server.origin}/?hub=${encodeURIComponent(hub.url)}`);
      await page.getByRole("status").filter({ hasText: "Pick a model" }).waitFor();
      await page.getByLabel("Model", { exact: true }).selectOption("hub");
      await page.getByLabel("Hub id", { exact: true }).fill("tiny-org/tiny-llama");
      await page.getByRole("button", { name: "Load model" }).click();
      await page.getByRole("status").filter({ hasText: "Model loaded." }).waitFor();
      return (await page.locator(".load-summary").textContent()) ?? "";
    };
    const fileRequests = () => hub.requests.filter((request) => request.includes("/resolve/")).length;
    const first = await loadFromHub();
    expect(first).toMatch(/\d+ files? downloaded/);
    const fetched = fileRequests();
    expect(fetched).toBeGreaterThanOrEqual(3); // config, tokenizer, weights at least
    await runMethod(page, "saliency", {}, 2);
    await page.getByRole("status").filter({ hasText: "Done." }).waitFor();
    // A new page of the same browser profile: every file comes from Cache Storage.
    const second = await loadFromHub();
    expect(second).toMatch(/from the browser's cache/);
    expect(second).not.toMatch(/downloaded/);
    expect(fileRequests()).toBe(fetched);
    await context.close();
  });

  it("local files picked by the user load: a .gguf, and a llama2.c checkpoint with its tokenizer, on wasm", async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${server.origin}/`);
    await page.getByRole("status").filter({ hasText: "Pick a model" }).waitFor();
    await page.getByLabel("Model", { exact: true }).selectOption("files");
    await page.getByLabel("Device", { exact: true }).selectOption("wasm");
    const stories = resolve(repo, "../shared/models/stories260K");
    for (const files of [["stories260K.gguf"], ["stories260K.bin", "tok512.bin"]]) {
      await page.getByLabel("Files", { exact: true }).setInputFiles(files.map((name) => join(stories, name)));
      await page.getByRole("button", { name: "Load model" }).click();
      await page.getByRole("status").filter({ hasText: "Model loaded." }).waitFor();
      await runMethod(page, "saliency", {}, 2);
      await page.getByRole("status").filter({ hasText: "Done." }).waitFor();
      const result = await downloadedResult(page);
      expect(result.sequences[0]!.target).toHaveLength(2);
      // The same greedy tokens as the CLI's run on the demo (same weights, either file format).
      expect(result.sequences[0]!.target.map((token) => token.id)).toEqual(
        (await cli)["saliency"]!.sequences[0]!.target.slice(0, 2).map((token) => token.id),
      );
      await expect(page.locator(".run-info").textContent()).resolves.toMatch(/onnxruntime-web \(wasm/);
    }
    await context.close();
  });
});
