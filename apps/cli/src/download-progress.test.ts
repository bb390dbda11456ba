import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DownloadProgress, writeRandomHfFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHub, startLocalHub } from "../../../packages/models/src/hf/hub-server.test-helpers.ts";
import { downloadedLine, formatBytes, hubOptions } from "./download-progress.ts";
import { memoryIO } from "./io.ts";

const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-cli-download-"));
let hub: LocalHub;
beforeAll(async () => {
  const served = join(root, "served");
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 1,
    hidden: 16,
    heads: 2,
    vocab: 300,
    seed: 4,
    out: served,
  });
  hub = await startLocalHub({ "tiny-org/tiny": served });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** `tokenscope <args>` as a child process (asynchronous: the test's own servers must keep answering). */
function tokenscope(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args],
    {
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "", HF_TOKEN: "", HF_HUB_OFFLINE: "", ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string; at: number }>((done) =>
    child.on("close", (code) => done({ code, stdout, stderr, at: performance.now() })),
  );
  return { child, exited };
}

const event = (overrides: Partial<DownloadProgress>): DownloadProgress => ({
  path: "model.safetensors",
  index: 6,
  count: 7,
  state: "done",
  receivedBytes: 1_234_567,
  totalBytes: 1_234_567,
  downloaded: true,
  ...overrides,
});

describe("download progress and cancellation in the CLI", () => {
  it("formats sizes as the hub shows them", () => {
    expect([812, 14_200, 3_514_000, 1_200_000_000].map(formatBytes)).toEqual([
      "812 B",
      "14.2 kB",
      "3.51 MB",
      "1.20 GB",
    ]);
    expect(downloadedLine(event({}))).toBe("downloaded model.safetensors (1.23 MB, 7/7)");
  });

  it("outside a terminal, leaves one line per file fetched and nothing for cached files or bytes", () => {
    const io = memoryIO();
    const { onDownloadProgress } = hubOptions(io);
    onDownloadProgress(event({ state: "start", receivedBytes: 0, downloaded: undefined }));
    onDownloadProgress(event({ state: "data", receivedBytes: 65_536 }));
    onDownloadProgress(event({}));
    onDownloadProgress(event({ path: "config.json", index: 0, downloaded: false }));
    expect(io.err()).toBe("downloaded model.safetensors (1.23 MB, 7/7)\n");
  });

  it("in a terminal, also redraws a live line (at most every 100 ms), cleared when the file is done", () => {
    const io = memoryIO();
    let live = "";
    io.progressOutput = {
      write: (text: string) => {
        live += text;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const { onDownloadProgress } = hubOptions(io);
    onDownloadProgress(event({ state: "data", receivedBytes: 65_536 }));
    onDownloadProgress(event({ state: "data", receivedBytes: 131_072 }));
    expect(live).toBe("\r\u001b[2Kdownloading model.safetensors (7/7) 65.5 kB / 1.23 MB");
    onDownloadProgress(event({}));
    expect(live.endsWith("\r\u001b[2K")).toBe(true);
    expect(io.err()).toBe("downloaded model.safetensors (1.23 MB, 7/7)\n");
  });

  it("shows each downloaded file on stderr while stdout stays valid JSON", async () => {
    const cache = join(root, "cache");
    const first = await tokenscope(["models", "inspect", "tiny-org/tiny", "--json"], {
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: cache,
    }).exited;
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).architecture).toBe("llama");
    expect(first.stderr).toMatch(/^downloaded config\.json \(\d[\d.]* (B|kB), 1\/\d\)$/m);
    expect(first.stderr).toMatch(/^downloaded model\.safetensors \(\d[\d.]* (?:kB|MB), (\d)\/\1\)$/m);
    // Cached now: nothing is downloaded, nothing is said.
    const second = await tokenscope(["models", "inspect", "tiny-org/tiny", "--json"], {
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: cache,
    }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain("downloaded");
  });

  it.skipIf(process.platform === "win32")(
    "Ctrl-C during a download from an unresponsive hub exits 130 within 2 s, cancelled, not timed out",
    async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => sockets.add(socket));
      await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      try {
        const { child, exited } = tokenscope(["models", "inspect", "tiny-org/tiny"], {
          HF_ENDPOINT: url,
          HF_HUB_CACHE: join(root, "silent-cache"),
        });
        const deadline = performance.now() + 30_000;
        while (sockets.size === 0 && child.exitCode === null && performance.now() < deadline)
          await new Promise((done) => setTimeout(done, 20));
        expect(sockets.size).toBeGreaterThan(0);
        const interruptedAt = performance.now();
        child.kill("SIGINT");
        const result = await exited;
        expect(result.code).toBe(130);
        expect(result.at - interruptedAt).toBeLessThan(2_000);
        // The download itself stopped (its error printed), not the interrupt handler's grace-period exit.
        expect(result.stderr).toContain("error [ABORTED]");
        expect(result.stderr).toContain('The download of "tiny-org/tiny" was cancelled');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((done) => silent.close(done));
      }
    },
  );
});
