import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DownloadProgress } from "./download-progress.ts";
import { resolveHfModel } from "./hub.ts";
import { hubTimeouts } from "./hub-fetch.ts";
import { type LocalHub, startLocalHub } from "./hub-server.test-helpers.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hub-network-"));
const served = join(root, "served");
let hub: LocalHub;
const savedEnv = { ...process.env };

beforeAll(async () => {
  for (const name of ["HF_HUB_OFFLINE", "HF_ENDPOINT", "HF_TOKEN", "TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS"])
    delete process.env[name];
  delete process.env["TOKENSCOPE_HUB_READ_TIMEOUT_MS"];
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 1,
    hidden: 16,
    heads: 2,
    vocab: 300,
    seed: 3,
    out: served,
  });
  hub = await startLocalHub({ "tiny-org/tiny": served });
});
afterAll(async () => {
  await hub.close();
  process.env = savedEnv;
  rmSync(root, { recursive: true, force: true });
});

async function errorOf(run: () => Promise<unknown>): Promise<TokenscopeError> {
  try {
    await run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

/** A server that accepts connections and never answers: the unresponsive endpoint. */
async function startSilentServer(): Promise<{
  url: string;
  connections: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A proxy in front of `upstream` that answers everything, except that the full download of the
 * weights sends its headers and half its bytes, then nothing more: a download that stalls.
 */
async function startStallingProxy(
  upstream: string,
): Promise<{ url: string; stalled: () => boolean; close(): Promise<void> }> {
  let stalled = false;
  const server = createHttpServer(async (request, response) => {
    const path = request.url ?? "/";
    const body = await bodyOf(request);
    const headers: Record<string, string> = {};
    for (const name of ["range", "content-type"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await fetch(upstream + path, {
      method: request.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    const relayed: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!["content-encoding", "transfer-encoding", "connection", "keep-alive"].includes(name))
        relayed[name] = value;
    });
    response.writeHead(answer.status, relayed);
    if (path.endsWith(".safetensors") && !headers["range"]) {
      stalled = true;
      response.write(bytes.subarray(0, bytes.length >> 1));
      return;
    }
    response.end(bytes);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stalled: () => stalled,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

describe("hub requests are bounded in time and cancellable", () => {
  it("an endpoint that accepts the connection and never answers times out after connectTimeoutMs", async () => {
    const silent = await startSilentServer();
    try {
      const started = performance.now();
      const error = await errorOf(() =>
        resolveHfModel("tiny-org/tiny", {
          cacheDir: join(root, "silent-cache"),
          hubUrl: silent.url,
          connectTimeoutMs: 300,
        }),
      );
      const elapsed = performance.now() - started;
      expect(silent.connections()).toBeGreaterThan(0);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5_000);
      expect(error.code).toBe("MODEL_LOAD_FAILED");
      expect(error.message).toContain("the hub did not answer within 0.3 s (connect timeout)");
      expect(error.hint).toContain("TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS");
      expect(error.details["network"]).toBe("connect-timeout");
    } finally {
      await silent.close();
    }
  });

  it("the connect timeout also comes from TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS", async () => {
    const silent = await startSilentServer();
    process.env["TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS"] = "200";
    try {
      const error = await errorOf(() =>
        resolveHfModel("tiny-org/tiny", { cacheDir: join(root, "env-cache"), hubUrl: silent.url }),
      );
      expect(error.message).toContain("within 0.2 s (connect timeout)");
    } finally {
      delete process.env["TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS"];
      await silent.close();
    }
  });

  it("a download that stalls mid-body times out after readTimeoutMs", async () => {
    const proxy = await startStallingProxy(hub.url);
    try {
      const started = performance.now();
      const error = await errorOf(() =>
        resolveHfModel("tiny-org/tiny", {
          cacheDir: join(root, "stall-cache"),
          hubUrl: proxy.url,
          readTimeoutMs: 300,
        }),
      );
      expect(proxy.stalled()).toBe(true);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(error.code).toBe("MODEL_LOAD_FAILED");
      expect(error.message).toContain("the download stalled: no data for 0.3 s (read timeout)");
      expect(error.details["network"]).toBe("read-timeout");
    } finally {
      await proxy.close();
    }
  });

  it("the signal cancels a request under way: ABORTED at once, with no fallback to the cache", async () => {
    const cacheDir = join(root, "cancel-cache");
    // A complete cached copy, which a timeout would fall back to but a cancellation must not.
    await resolveHfModel("tiny-org/tiny", { cacheDir, hubUrl: hub.url });
    const silent = await startSilentServer();
    try {
      const controller = new AbortController();
      const pending = errorOf(() =>
        resolveHfModel("tiny-org/tiny", { cacheDir, hubUrl: silent.url, signal: controller.signal }),
      );
      while (silent.connections() === 0) await new Promise((done) => setTimeout(done, 10));
      const abortedAt = performance.now();
      controller.abort();
      const error = await pending;
      expect(performance.now() - abortedAt).toBeLessThan(1_000);
      expect(error.code).toBe("ABORTED");
      expect(error.message).toContain('The download of "tiny-org/tiny" was cancelled');
      // Already aborted: nothing is asked at all.
      let requests = 0;
      const counting: typeof fetch = (input, init) => {
        requests++;
        return fetch(input, init);
      };
      const options = { cacheDir, hubUrl: silent.url, signal: controller.signal, fetch: counting };
      expect((await errorOf(() => resolveHfModel("tiny-org/tiny", options))).code).toBe("ABORTED");
      expect(requests).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it("a refused connection says it was refused", async () => {
    const closed = await startSilentServer();
    await closed.close();
    const error = await errorOf(() =>
      resolveHfModel("tiny-org/tiny", { cacheDir: join(root, "refused-cache"), hubUrl: closed.url }),
    );
    expect(error.message).toContain("could not be reached: it refused the connection (ECONNREFUSED)");
    expect(error.details["network"]).toBe("ECONNREFUSED");
  });

  it("reports each file's bytes as they arrive, and whether it was fetched", async () => {
    const cacheDir = join(root, "progress-cache");
    const events: DownloadProgress[] = [];
    const resolved = await resolveHfModel("tiny-org/tiny", {
      cacheDir,
      hubUrl: hub.url,
      onDownloadProgress: (event) => events.push(event),
    });
    const weights = events.filter((event) => event.path === "model.safetensors");
    expect(weights[0]).toMatchObject({ state: "start", receivedBytes: 0 });
    const size = statSync(join(resolved.folder, "model.safetensors")).size;
    expect(weights.at(-1)).toMatchObject({
      state: "done",
      downloaded: true,
      receivedBytes: size,
      totalBytes: size,
    });
    expect(weights.some((event) => event.state === "data")).toBe(true);
    const done = events.filter((event) => event.state === "done");
    expect(done.length).toBe(done[0]!.count);
    // The second time every file is in the cache: done, not downloaded, no bytes.
    const again: DownloadProgress[] = [];
    await resolveHfModel("tiny-org/tiny", {
      cacheDir,
      hubUrl: hub.url,
      onDownloadProgress: (event) => again.push(event),
    });
    expect(again.filter((event) => event.state === "data")).toEqual([]);
    expect(again.filter((event) => event.state === "done").every((event) => event.downloaded === false)).toBe(
      true,
    );
  });

  it("timeouts default to 30 s and 60 s and refuse a value that is not a positive number", () => {
    expect(hubTimeouts({}, {})).toEqual({ connectTimeoutMs: 30_000, readTimeoutMs: 60_000 });
    expect(hubTimeouts({ readTimeoutMs: 5 }, { TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS: "1500" })).toEqual({
      connectTimeoutMs: 1_500,
      readTimeoutMs: 5,
    });
    expect(() => hubTimeouts({}, { TOKENSCOPE_HUB_READ_TIMEOUT_MS: "soon" })).toThrow(
      /TOKENSCOPE_HUB_READ_TIMEOUT_MS is "soon", not a positive number of milliseconds/,
    );
    expect(() => hubTimeouts({ connectTimeoutMs: 0 }, {})).toThrow(/not a positive number/);
  });
});
