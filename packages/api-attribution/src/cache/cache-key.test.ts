import { describe, expect, it } from "vitest";
import { cacheKey, canonicalJson } from "./cache-key.ts";
import { createMemoryCache } from "./memory-cache.ts";

const config = { baseUrl: "http://127.0.0.1:1/v1", model: "m", mode: "chat" as const };
const settings = { temperature: 0, seed: 0, logprobs: true };

describe("cacheKey", () => {
  it("is the SHA-256 hex of canonical JSON: key order does not matter, every field does", async () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: "x" }] })).toBe('{"a":[1,{"c":"x"}],"b":1}');
    const key = await cacheKey(config, { prompt: "p", maxTokens: 2, topLogprobs: 20 }, settings);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(
      await cacheKey(
        { mode: "chat", model: "m", baseUrl: config.baseUrl },
        { topLogprobs: 20, maxTokens: 2, prompt: "p" },
        { logprobs: true, seed: 0, temperature: 0 },
      ),
    ).toBe(key);
    const different = await Promise.all([
      cacheKey({ ...config, model: "n" }, { prompt: "p", maxTokens: 2, topLogprobs: 20 }, settings),
      cacheKey({ ...config, mode: "completions" }, { prompt: "p", maxTokens: 2, topLogprobs: 20 }, settings),
      cacheKey(config, { prompt: "p ", maxTokens: 2, topLogprobs: 20 }, settings),
      cacheKey(config, { prompt: "p", maxTokens: 3, topLogprobs: 20 }, settings),
      cacheKey(config, { prompt: "p", maxTokens: 2, topLogprobs: 5 }, settings),
      cacheKey(config, { prompt: "p", maxTokens: 2, topLogprobs: 20, echo: true }, settings),
      cacheKey(config, { prompt: "p", maxTokens: 2, topLogprobs: 20 }, { ...settings, seed: 1 }),
      cacheKey(config, { prompt: "p", maxTokens: 2, topLogprobs: 20 }, { ...settings, tag: "copy" }),
    ]);
    expect(new Set([key, ...different]).size).toBe(different.length + 1);
  });
});

describe("createMemoryCache", () => {
  it("copies values in and out", async () => {
    const cache = createMemoryCache();
    const value = {
      text: "a",
      tokens: null,
      promptTokens: null,
      finishReason: null,
      usage: { promptTokens: 1, completionTokens: 1 },
    };
    await cache.set("k", value);
    value.text = "changed";
    const read = await cache.get("k");
    expect(read?.text).toBe("a");
    if (read) read.text = "again";
    expect((await cache.get("k"))?.text).toBe("a");
    expect(await cache.get("missing")).toBeUndefined();
  });
});
