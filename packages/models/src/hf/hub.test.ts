import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resolveHfModel } from "./hub.ts";
import { type LocalHub, startLocalHub } from "./hub-server.test-helpers.ts";
import { loadHfFolder } from "./load-folder.ts";
import { writeRandomHfFolder } from "./write-random-folder.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-hub-"));

// The machine's own Hugging Face settings must not steer these tests.
const hfVariables = [
  "HF_HUB_OFFLINE",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "HF_HOME",
  "HF_ENDPOINT",
  "HF_TOKEN",
];
const savedEnv = new Map(hfVariables.map((name) => [name, process.env[name]]));
beforeAll(() => {
  for (const name of hfVariables) delete process.env[name];
});
afterAll(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
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

/** Files under a folder, by relative path, following the cache's symlinks. */
function filesOf(folder: string): Map<string, Buffer> {
  return new Map(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name))]));
}

describe("resolveHfModel through a local hub", () => {
  const repoFolder = join(root, "served");
  const shardedFolder = join(root, "served-sharded");
  const cacheDir = join(root, "cache");
  let hub: LocalHub;

  beforeAll(async () => {
    await writeRandomHfFolder({
      architecture: "qwen2",
      layers: 1,
      hidden: 16,
      heads: 2,
      vocab: 300,
      seed: 5,
      out: repoFolder,
      dtype: "BF16",
    });
    // Files a real repository has that tokenscope must not download.
    writeFileSync(join(repoFolder, "README.md"), "# a model\n");
    writeFileSync(join(repoFolder, "pytorch_model.bin"), new Uint8Array(64));
    writeFileSync(join(repoFolder, "chat_template.jinja"), "{{ messages[0]['content'] }}");
    await writeRandomHfFolder({
      architecture: "gpt2",
      layers: 2,
      hidden: 16,
      heads: 2,
      vocab: 300,
      seed: 6,
      out: shardedFolder,
      maxShardBytes: 20_000,
    });
    hub = await startLocalHub({ "tiny-org/tiny-qwen": repoFolder, "tiny-org/tiny-gpt2": shardedFolder });
  });
  afterAll(async () => {
    await hub.close();
  });
  afterEach(() => {
    delete process.env["HF_HUB_OFFLINE"];
  });

  it("downloads only the needed files into the standard cache layout", async () => {
    const resolved = await resolveHfModel("tiny-org/tiny-qwen", { cacheDir, hubUrl: hub.url });
    const commit = hub.commits.get("tiny-org/tiny-qwen")!;
    expect(resolved).toMatchObject({
      source: "download",
      repo: "tiny-org/tiny-qwen",
      revision: "main",
      commit,
    });
    expect(resolved.folder).toBe(join(cacheDir, "models--tiny-org--tiny-qwen", "snapshots", commit));
    expect(readFileSync(join(cacheDir, "models--tiny-org--tiny-qwen", "refs", "main"), "utf8")).toBe(commit);
    const downloaded = filesOf(resolved.folder);
    expect([...downloaded.keys()].sort()).toEqual([
      "chat_template.jinja",
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    for (const [name, bytes] of downloaded)
      expect(bytes.equals(readFileSync(join(repoFolder, name)))).toBe(true);
    expect(hub.requests.some((request) => request.includes("pytorch_model.bin"))).toBe(false);
    expect(hub.requests.some((request) => request.includes("README.md"))).toBe(false);
  });

  it("reports each file and writes nothing to the console", async () => {
    const seen: string[] = [];
    const logged: unknown[] = [];
    const debug = console.debug;
    console.debug = (...args: unknown[]) => logged.push(args);
    try {
      await resolveHfModel("tiny-org/tiny-qwen", {
        cacheDir: join(root, "progress-cache"),
        hubUrl: hub.url,
        onFile: (path, index, count) => seen.push(`${index + 1}/${count} ${path}`),
      });
    } finally {
      console.debug = debug;
    }
    expect(seen).toContain("7/7 model.safetensors");
    expect(logged).toEqual([]);
  });

  it("downloads a sharded checkpoint: the index and exactly the shards it names", async () => {
    const resolved = await resolveHfModel("tiny-org/tiny-gpt2@main", { cacheDir, hubUrl: hub.url });
    const served = readdirSync(shardedFolder).filter((name) => name.endsWith(".safetensors"));
    expect(served.length).toBeGreaterThan(1);
    const downloaded = filesOf(resolved.folder);
    for (const shard of served)
      expect(downloaded.get(shard)?.equals(readFileSync(join(shardedFolder, shard)))).toBe(true);
    const loaded = await loadHfFolder(resolved.folder);
    expect(loaded.config.architecture).toBe("gpt2");
    expect(loaded.weights.tensors.size).toBeGreaterThan(10);
  });

  it("asks the hub again but fetches no file a second time", async () => {
    const before = hub.requests.length;
    await resolveHfModel("tiny-org/tiny-qwen", { cacheDir, hubUrl: hub.url });
    const again = hub.requests.slice(before);
    expect(again.filter((request) => request.includes("/resolve/"))).toEqual([]);
    expect(again.filter((request) => request.includes("/revision/")).length).toBe(1);
  });

  it("offline, resolves from the cache with no server, to identical files that load", async () => {
    const online = await resolveHfModel("tiny-org/tiny-qwen", { cacheDir, hubUrl: hub.url });
    const requestsBefore = hub.requests.length;
    const offline = await resolveHfModel("tiny-org/tiny-qwen", {
      cacheDir,
      offline: true,
      hubUrl: "http://127.0.0.1:9",
    });
    expect(hub.requests.length).toBe(requestsBefore);
    expect(offline).toMatchObject({ source: "cache", folder: online.folder, commit: online.commit });
    const loaded = await loadHfFolder(offline.folder);
    expect(loaded.config.architecture).toBe("qwen2");
    const tokens = await loaded.tokenizer.encode("The river runs", { addSpecialTokens: false });
    expect(tokens.map((token) => token.text).join("")).toBe("The river runs");
    // chat_template.jinja is read when tokenizer_config.json's template is absent; here the config wins.
    expect(await loaded.tokenizer.applyChatTemplate?.([{ role: "user", content: "hi" }])).toContain(
      "<|im_start|>user",
    );
  });

  it("honours HF_HUB_OFFLINE=1 and a commit hash as revision", async () => {
    process.env["HF_HUB_OFFLINE"] = "1";
    const commit = hub.commits.get("tiny-org/tiny-qwen")!;
    const resolved = await resolveHfModel(`tiny-org/tiny-qwen@${commit}`, {
      cacheDir,
      hubUrl: "http://127.0.0.1:9",
    });
    expect(resolved).toMatchObject({ source: "cache", commit });
  });

  it("offline with an empty cache fails with MODEL_LOAD_FAILED saying how to fetch the model", async () => {
    const error = await errorOf(() =>
      resolveHfModel("tiny-org/tiny-qwen", { cacheDir: join(root, "empty-cache"), offline: true }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain('"tiny-org/tiny-qwen"');
    expect(error.message).toContain("offline: true");
    expect(error.message).toContain("not in the Hugging Face cache");
    expect(error.hint).toContain("network access");
    process.env["HF_HUB_OFFLINE"] = "yes";
    const byEnv = await errorOf(() =>
      resolveHfModel("tiny-org/tiny-qwen", { cacheDir: join(root, "empty-cache") }),
    );
    expect(byEnv.message).toContain("HF_HUB_OFFLINE is set");
  });

  it("an incomplete cached snapshot is reported with the missing files", async () => {
    const partial = join(root, "partial-cache");
    await resolveHfModel("tiny-org/tiny-qwen", { cacheDir: partial, hubUrl: hub.url });
    const commit = hub.commits.get("tiny-org/tiny-qwen")!;
    rmSync(join(partial, "models--tiny-org--tiny-qwen", "snapshots", commit, "model.safetensors"));
    const error = await errorOf(() =>
      resolveHfModel("tiny-org/tiny-qwen", { cacheDir: partial, offline: true }),
    );
    expect(error.message).toContain("lacks model.safetensors");
  });

  it("HF_HUB_CACHE, else HF_HOME/hub, is the default cache", async () => {
    const envCache = join(root, "env-cache");
    const home = join(root, "hf-home");
    process.env["HF_HUB_CACHE"] = envCache;
    process.env["HF_HOME"] = home;
    try {
      const resolved = await resolveHfModel("tiny-org/tiny-qwen", { hubUrl: hub.url });
      expect(resolved.folder.startsWith(join(envCache, "models--tiny-org--tiny-qwen"))).toBe(true);
      delete process.env["HF_HUB_CACHE"];
      const underHome = await resolveHfModel("tiny-org/tiny-qwen", { hubUrl: hub.url });
      expect(underHome.folder.startsWith(join(home, "hub", "models--tiny-org--tiny-qwen"))).toBe(true);
    } finally {
      delete process.env["HF_HUB_CACHE"];
      delete process.env["HF_HOME"];
    }
  });

  it("an unknown repository is MODEL_LOAD_FAILED naming the id and the host", async () => {
    const error = await errorOf(() => resolveHfModel("tiny-org/nope", { cacheDir, hubUrl: hub.url }));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain('"tiny-org/nope"');
    expect(error.message).toContain(new URL(hub.url).host);
    expect(error.message).toContain("404");
  });

  it("a repository without safetensors is refused", async () => {
    const binOnly = join(root, "bin-only");
    await writeRandomHfFolder({
      architecture: "gpt2",
      layers: 1,
      hidden: 8,
      heads: 2,
      vocab: 300,
      seed: 1,
      out: binOnly,
    });
    rmSync(join(binOnly, "model.safetensors"));
    const local = await startLocalHub({ "tiny-org/bin-only": binOnly });
    try {
      const error = await errorOf(() => resolveHfModel("tiny-org/bin-only", { cacheDir, hubUrl: local.url }));
      expect(error.message).toContain("has no safetensors weights");
    } finally {
      await local.close();
    }
  });
});

describe("resolveHfModel without a hub", () => {
  it("a network failure is MODEL_LOAD_FAILED naming the id and the host", async () => {
    const closed = await startLocalHub({});
    await closed.close();
    const error = await errorOf(() =>
      resolveHfModel("tiny-org/tiny-qwen", { cacheDir: join(root, "no-hub-cache"), hubUrl: closed.url }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(`from ${new URL(closed.url).host}`);
    expect(error.message).toContain("could not be reached");
    expect(error.hint).toContain("offline");
  });

  it("online, an unreachable hub falls back to a complete cached copy, with a warning", async () => {
    const folder = join(root, "fallback-served");
    await writeRandomHfFolder({
      architecture: "gpt2",
      layers: 1,
      hidden: 8,
      heads: 2,
      vocab: 300,
      seed: 2,
      out: folder,
    });
    const cacheDir = join(root, "fallback-cache");
    const hub = await startLocalHub({ "tiny-org/fallback": folder });
    const online = await resolveHfModel("tiny-org/fallback", { cacheDir, hubUrl: hub.url });
    await hub.close();
    const fallback = await resolveHfModel("tiny-org/fallback", { cacheDir, hubUrl: hub.url });
    expect(fallback).toMatchObject({ source: "cache", folder: online.folder });
    expect(fallback.warning).toContain("could not be reached");
  });

  it("a local folder resolves to itself; a missing path or a file is refused", async () => {
    const folder = join(root, "local-folder");
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 8,
      heads: 2,
      vocab: 300,
      seed: 1,
      out: folder,
    });
    expect(await resolveHfModel(folder)).toEqual({ folder, source: "local" });
    expect((await errorOf(() => resolveHfModel(join(root, "missing", "x")))).message).toContain(
      "no such folder",
    );
    expect((await errorOf(() => resolveHfModel("./missing"))).message).toContain("no such folder");
    expect((await errorOf(() => resolveHfModel(join(folder, "config.json")))).message).toContain("is a file");
  });
});
