import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";
import { playgroundFolder } from "./playground.ts";

// `tokenscope playground` serves a built web app from 127.0.0.1, cross-origin isolated, and
// nothing outside its folder. A stand-in build is served (the real one is tested by the
// playground's own end-to-end test).
const root = mkdtempSync(join(tmpdir(), "tokenscope-playground-"));
const site = join(root, "dist");
const secret = join(root, "secret.txt");
const controller = new AbortController();
const io = { ...memoryIO(), signal: controller.signal };
let running: Promise<number>;
let url: string;

beforeAll(async () => {
  mkdirSync(join(site, "assets"), { recursive: true });
  writeFileSync(join(site, "index.html"), "<!doctype html><title>tokenscope playground</title>");
  writeFileSync(join(site, "assets", "ort.wasm"), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(secret, "not for the web");
  symlinkSync(secret, join(site, "assets", "link.txt"));
  running = run(["playground", "--dir", site, "--port", "0"], io);
  const deadline = Date.now() + 20_000;
  while (!/playground at (\S+)/.test(io.err())) {
    if (Date.now() > deadline) throw new Error(`playground did not start: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  url = /playground at (\S+)/.exec(io.err())![1]!;
});
afterAll(async () => {
  controller.abort();
  await running;
  rmSync(root, { recursive: true, force: true });
});

describe("tokenscope playground", () => {
  it("serves the app on 127.0.0.1 with the cross-origin isolation headers and wasm's content type", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("tokenscope playground");
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    const wasm = await fetch(`${url}assets/ort.wasm`);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
  });

  it("reads nothing outside its folder: .. segments, encoded ones, links out, and other methods", async () => {
    for (const path of [
      "../secret.txt",
      "%2e%2e/secret.txt",
      "assets/..%2f..%2fsecret.txt",
      "assets/link.txt",
    ]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain("not for the web");
    }
    // fetch normalises "..": a raw request sends the path as written.
    const { port } = new URL(url);
    for (const path of ["/../secret.txt", "/assets/../../secret.txt", "/..\\secret.txt"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest({ host: "127.0.0.1", port, path }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.end();
      });
      expect(status, path).toBe(404);
    }
    expect((await fetch(url, { method: "POST", body: "x" })).status).toBe(405);
    expect((await fetch(`${url}missing.js`)).status).toBe(404);
  });

  it("an unbuilt playground is a clear error naming the build command", async () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    const failed = memoryIO();
    expect(await run(["playground", "--dir", empty, "--port", "0"], failed)).not.toBe(0);
    expect(failed.err()).toContain("index.html");
    expect(playgroundFolder(site)).toBe(site);
    expect(playgroundFolder(undefined, { TOKENSCOPE_PLAYGROUND_DIR: site })).toBe(site);
  });
});
