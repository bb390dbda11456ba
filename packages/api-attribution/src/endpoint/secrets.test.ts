import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDiskCache } from "../cache/disk-cache.ts";
import {
  type FaultServer,
  faultAlways,
  faultsByIndex,
  startFaultServer,
} from "../testing/fault-server.test-helpers.ts";
import { createEndpoint } from "./create-endpoint.ts";

const sentinel = "sk-SENTINEL-1234";
const keyEnv = `TOKENSCOPE_TEST_SENTINEL_KEY_${process.pid}`;
let server: FaultServer;
let scratch: string;

beforeAll(async () => {
  process.env[keyEnv] = sentinel;
  // The server checks the key and repeats the Authorization header in its error bodies.
  server = await startFaultServer({ apiKey: sentinel, leakAuthorization: true });
  scratch = await mkdtemp(join(tmpdir(), "tokenscope-secrets-"));
});
afterAll(async () => {
  delete process.env[keyEnv];
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults(undefined);
  server.reset();
});

/** Everything an error carries, however a tool might print it. */
function everything(error: TokenscopeError): string {
  return [
    error.message,
    error.hint ?? "",
    JSON.stringify(error.details),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    String((error as { cause?: unknown }).cause),
  ].join("\n");
}

async function rejection(promise: Promise<unknown>): Promise<TokenscopeError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe("the API key", () => {
  it("goes in the Authorization header and nowhere in the endpoint", async () => {
    const api = createEndpoint({ baseUrl: server.baseUrl, model: "fake", apiKeyEnv: keyEnv });
    await api.complete({ prompt: "hello", maxTokens: 1 });
    expect(server.completionRequests()[0]?.headers.authorization).toBe(`Bearer ${sentinel}`);
    expect(JSON.stringify(api.info)).not.toContain(sentinel);
    expect(inspect(api, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(sentinel);
    expect(JSON.stringify(api.stats())).not.toContain(sentinel);
  });

  it("is redacted from errors whose server body echoes the Authorization header", async () => {
    for (const status of [400, 500, 429]) {
      server.setFaults(faultAlways({ kind: "status", status, retryAfter: "0", message: "bad request" }));
      const api = createEndpoint(
        { baseUrl: server.baseUrl, model: "fake", apiKeyEnv: keyEnv },
        { maxRetries: 1, sleep: async () => {} },
      );
      const error = await rejection(api.complete({ prompt: "leak", maxTokens: 1 }));
      expect(error.message).toContain("you sent Authorization: Bearer ***");
      expect(everything(error)).not.toContain(sentinel);
      expect(everything(error)).not.toContain("SENTINEL");
    }
  });

  it("is redacted from what onRetry is told", async () => {
    server.setFaults(faultsByIndex({ 0: { kind: "status", status: 503 } }));
    const told: string[] = [];
    const api = createEndpoint(
      { baseUrl: server.baseUrl, model: "fake", apiKeyEnv: keyEnv },
      { sleep: async () => {}, onRetry: (event) => told.push(JSON.stringify(event)) },
    );
    await api.complete({ prompt: "retry", maxTokens: 1 });
    expect(told).toHaveLength(1);
    expect(told[0]).toContain("Bearer ***");
    expect(told.join("")).not.toContain(sentinel);
  });

  it("is redacted from a wrong-key 401, and an explicit apiKey option works as the environment does", async () => {
    const wrong = "sk-WRONG-KEY-5678";
    const api = createEndpoint({ baseUrl: server.baseUrl, model: "fake" }, { apiKey: wrong });
    const error = await rejection(api.complete({ prompt: "who am I", maxTokens: 1 }));
    expect(error.details.status).toBe(401);
    expect(everything(error)).not.toContain(wrong);
    expect(error.hint).toContain("OPENAI_API_KEY");
    const right = createEndpoint({ baseUrl: server.baseUrl, model: "fake" }, { apiKey: sentinel });
    await right.complete({ prompt: "who am I", maxTokens: 1 });
  });

  it("never reaches the disk cache", async () => {
    const dir = join(scratch, "cache");
    const api = createEndpoint(
      { baseUrl: server.baseUrl, model: "fake", apiKeyEnv: keyEnv, mode: "completions" },
      { cache: createDiskCache(dir) },
    );
    await api.capabilities();
    await api.complete({ prompt: "Please say sk-SENTINEL", maxTokens: 2, echo: true });
    const files = await filesUnder(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      expect(file).not.toContain(sentinel);
      expect(await readFile(file, "utf8")).not.toContain(sentinel);
    }
  });

  it("keeps credentials in the base URL out of info and messages", async () => {
    const withCredentials = server.baseUrl.replace("http://", "http://alice:hunter2-secret@");
    const api = createEndpoint(
      { baseUrl: withCredentials, model: "fake" },
      { apiKey: sentinel, maxRetries: 0 },
    );
    expect(api.info.baseUrl).toBe(server.baseUrl);
    server.setFaults(faultAlways({ kind: "status", status: 500, message: `see ${withCredentials}` }));
    const error = await rejection(api.complete({ prompt: "url", maxTokens: 1 }));
    expect(everything(error)).not.toContain("hunter2-secret");
    expect(everything(error)).not.toContain(sentinel);
  });
});
