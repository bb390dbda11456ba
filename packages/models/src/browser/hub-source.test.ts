import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, type LanguageModel } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DownloadProgress } from "../hf/download-progress.ts";
import { type LocalHub, startLocalHub } from "../hf/hub-server.test-helpers.ts";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { type CacheStorageLike, hubSource } from "./hub-source.ts";
import { loadModelFromSource } from "./load-model-from-source.ts";
import { logitsOf, maxDifference } from "./source.test-helpers.ts";

const runtime = createOnnxruntimeNodeRuntime();
const root = mkdtempSync(join(tmpdir(), "tokenscope-hub-source-"));
const repo = "tiny/llama";
let hub: LocalHub;
let folder: string;
let nodeModel: LanguageModel;
let ids: number[];
let nodeLogits: Float32Array;

/** Cache Storage in memory, as Node 20 has none; counts what is stored. */
function memoryCaches(): CacheStorageLike & { stored: Map<string, Uint8Array> } {
  const stored = new Map<string, Uint8Array>();
  return {
    stored,
    async open() {
      return {
        async match(request: string) {
          const bytes = stored.get(request);
          return bytes ? new Response(bytes.slice() as Uint8Array<ArrayBuffer>) : undefined;
        },
        async put(request: string, response: Response) {
          stored.set(request, new Uint8Array(await response.arrayBuffer()));
        },
      };
    },
  };
}

/** File downloads among the hub's requests (the model info is bookkeeping). */
const fileRequests = () => hub.requests.filter((request) => request.includes("/resolve/"));

async function errorOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

beforeAll(async () => {
  folder = join(root, "llama");
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 2,
    hidden: 32,
    heads: 4,
    vocab: 300,
    seed: 5,
    out: folder,
  });
  hub = await startLocalHub({ [repo]: folder });
  nodeModel = await loadModel(folder, { runtime });
  ids = (await nodeModel.tokenize("the river bends")).tokens.map((token) => token.id!);
  nodeLogits = await logitsOf(nodeModel, ids);
});
afterAll(async () => {
  await nodeModel?.dispose?.();
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("hubSource", () => {
  const caches = memoryCaches();

  it("lists the files tokenscope reads, fetches only those the load needs, reports progress in order", async () => {
    hub.requests.length = 0;
    const source = hubSource(repo, { hubUrl: hub.url, cache: caches });
    expect((await source.list()).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    expect(fileRequests()).toEqual([]);
    const events: DownloadProgress[] = [];
    const model = await loadModelFromSource(source, {
      runtime,
      onDownloadProgress: (event) => events.push(event),
    });
    expect(maxDifference(await logitsOf(model, ids), nodeLogits)).toBeLessThanOrEqual(1e-6);
    await model.dispose?.();
    const commit = hub.commits.get(repo)!;
    expect(hub.requests[0]).toBe(`GET /api/models/${repo}/revision/main`);
    expect(fileRequests().every((request) => request.includes(`/resolve/${commit}/`))).toBe(true);
    expect(fileRequests().some((request) => request.endsWith("/model.safetensors"))).toBe(true);
    // Listed is not fetched: special_tokens_map.json is never read, so never downloaded.
    expect(
      fileRequests()
        .map((request) => request.split(`${commit}/`)[1])
        .sort(),
    ).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    // Each file: start, data..., done, one file at a time, bytes growing to the file's size.
    const weights = events.filter((event) => event.path === "model.safetensors");
    expect(weights[0]!.state).toBe("start");
    expect(weights.at(-1)).toMatchObject({ state: "done", downloaded: true });
    const data = weights.filter((event) => event.state === "data");
    expect(data.length).toBeGreaterThan(0);
    for (let i = 1; i < data.length; i++)
      expect(data[i]!.receivedBytes).toBeGreaterThan(data[i - 1]!.receivedBytes);
    expect(data.at(-1)!.receivedBytes).toBe(data.at(-1)!.totalBytes);
    const order = events
      .filter((event) => event.state !== "data")
      .map((event) => `${event.path}:${event.state}`);
    for (let i = 0; i < order.length; i += 2) {
      expect(order[i]!.endsWith(":start")).toBe(true);
      expect(order[i + 1]).toBe(order[i]!.replace(":start", ":done"));
    }
    expect(caches.stored.has(`${hub.url}/${repo}/resolve/${commit}/model.safetensors`)).toBe(true);
  });

  it("a sharded repository: the index and each shard fetched once", async () => {
    const sharded = join(root, "sharded");
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 2,
      hidden: 32,
      heads: 4,
      vocab: 300,
      seed: 5,
      out: sharded,
      maxShardBytes: 20_000,
    });
    const shardedHub = await startLocalHub({ [repo]: sharded });
    try {
      const model = await loadModelFromSource(hubSource(repo, { hubUrl: shardedHub.url, cache: null }), {
        runtime,
      });
      expect(maxDifference(await logitsOf(model, ids), nodeLogits)).toBeLessThanOrEqual(1e-6);
      await model.dispose?.();
      const weights = shardedHub.requests.filter((request) => /safetensors/.test(request));
      expect(weights.length).toBeGreaterThan(2);
      expect(new Set(weights).size).toBe(weights.length);
      expect(weights.some((request) => request.endsWith("model.safetensors.index.json"))).toBe(true);
    } finally {
      await shardedHub.close();
    }
  });

  it("a second load reads the cache: zero file requests", async () => {
    hub.requests.length = 0;
    const events: DownloadProgress[] = [];
    const model = await loadModelFromSource(hubSource(repo, { hubUrl: hub.url, cache: caches }), {
      runtime,
      onDownloadProgress: (event) => events.push(event),
    });
    expect(maxDifference(await logitsOf(model, ids), nodeLogits)).toBeLessThanOrEqual(1e-6);
    await model.dispose?.();
    expect(fileRequests()).toEqual([]);
    expect(
      events.filter((event) => event.state === "done").every((event) => event.downloaded === false),
    ).toBe(true);
  });

  it("loads offline (a fetch that throws) from the cache", async () => {
    const offline = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const model = await loadModelFromSource(
      hubSource(repo, { hubUrl: hub.url, cache: caches, fetch: offline }),
      {
        runtime,
      },
    );
    expect(maxDifference(await logitsOf(model, ids), nodeLogits)).toBeLessThanOrEqual(1e-6);
    await model.dispose?.();
  });

  it("offline with nothing cached is IO_ERROR naming the repository and host", async () => {
    const offline = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const error = await errorOf(() =>
      hubSource(repo, { hubUrl: hub.url, cache: null, fetch: offline }).list(),
    );
    expect(error.code).toBe("IO_ERROR");
    expect(error.message).toContain(repo);
    expect(error.message).toContain(new URL(hub.url).host);
  });

  it("a missing repository is MODEL_LOAD_FAILED naming it", async () => {
    const error = await errorOf(() =>
      loadModelFromSource(hubSource("nobody/nothing", { hubUrl: hub.url, cache: null }), { runtime }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("nobody/nothing");
    expect(error.message).toContain("does not exist");
    expect(error.details["status"]).toBe(404);
  });

  it("a gated repository (401) says so", async () => {
    const gated = (async () => new Response("{}", { status: 401 })) as typeof fetch;
    const error = await errorOf(() =>
      hubSource("org/gated", { hubUrl: hub.url, cache: null, fetch: gated }).list(),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("gated or private");
  });

  it("an abort mid-download is ABORTED", async () => {
    const controller = new AbortController();
    const error = await errorOf(() =>
      loadModelFromSource(hubSource(repo, { hubUrl: hub.url, cache: null }), {
        runtime,
        signal: controller.signal,
        onDownloadProgress: (event) => {
          if (event.path === "model.safetensors" && event.state === "data")
            controller.abort(new Error("stop"));
        },
      }),
    );
    expect(error.code).toBe("ABORTED");
  });

  it("refuses a response over the bound (a config.json past metadataFileBytes) before holding it", async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const huge = (async (input: Parameters<typeof fetch>[0]) => {
      const url = String(input);
      if (!url.endsWith("/config.json")) return fetch(input);
      const body = new ReadableStream<Uint8Array>({
        pull(stream) {
          sent += chunk.byteLength;
          if (sent > 80 * chunk.byteLength) stream.close();
          else stream.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200 });
    }) as typeof fetch;
    const error = await errorOf(() =>
      loadModelFromSource(hubSource(repo, { hubUrl: hub.url, cache: null, fetch: huge }), { runtime }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("config.json");
    expect(error.details["limit"]).toBe("metadataFileBytes");
    expect(sent).toBeLessThanOrEqual(66 * chunk.byteLength);
  });

  it("refuses a stated Content-Length over the bound without reading the body", async () => {
    const stated = (async (input: Parameters<typeof fetch>[0]) => {
      if (!String(input).endsWith("/tokenizer.json")) return fetch(input);
      return new Response("{}", { status: 200, headers: { "X-Linked-Size": String(2 ** 40) } });
    }) as typeof fetch;
    const error = await errorOf(() =>
      loadModelFromSource(hubSource(repo, { hubUrl: hub.url, cache: null, fetch: stated }), { runtime }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("tokenizer.json");
    expect(error.details["repo"]).toBe(repo);
  });
});
