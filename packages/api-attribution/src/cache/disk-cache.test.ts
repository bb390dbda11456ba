import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEndpoint } from "../endpoint/create-endpoint.ts";
import type { Completion } from "../endpoint/types.ts";
import { type FaultServer, faultsByPrompt, startFaultServer } from "../testing/fault-server.test-helpers.ts";
import { createDiskCache } from "./disk-cache.ts";

let scratch: string;
let server: FaultServer;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "tokenscope-disk-cache-"));
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults(undefined);
  server.reset();
});

let folders = 0;
const freshFolder = () => join(scratch, `run-${folders++}`);
const key = (digit: string) => digit.repeat(64);
const completion: Completion = {
  text: " the cat",
  tokens: [{ token: " the", logprob: -0.5, top: [{ token: " the", logprob: -0.5 }], offset: 0 }],
  promptTokens: null,
  finishReason: "length",
  usage: { promptTokens: 3, completionTokens: 2 },
};

describe("createDiskCache", () => {
  it("stores one JSON file per key and reads it back", async () => {
    const dir = freshFolder();
    const cache = createDiskCache(dir);
    expect(await cache.get(key("a"))).toBeUndefined();
    await expect(stat(dir)).rejects.toThrow();
    await cache.set(key("a"), completion);
    expect(await readdir(dir)).toEqual([`${key("a")}.json`]);
    expect(await cache.get(key("a"))).toEqual(completion);
    expect(await createDiskCache(dir).get(key("a"))).toEqual(completion);
  });

  it("treats corrupt, partial, foreign and misfiled files as misses, and replaces them", async () => {
    const dir = freshFolder();
    const cache = createDiskCache(dir);
    await cache.set(key("b"), completion);
    const path = join(dir, `${key("b")}.json`);
    const whole = await readFile(path, "utf8");
    for (const broken of [
      whole.slice(0, whole.length / 2),
      "",
      "not json",
      JSON.stringify({ format: "something else", key: key("b"), completion }),
      JSON.stringify({ format: "tokenscope-response-cache/1", key: key("c"), completion }),
      JSON.stringify({ format: "tokenscope-response-cache/1", key: key("b"), completion: { text: 1 } }),
    ]) {
      await writeFile(path, broken);
      expect(await cache.get(key("b"))).toBeUndefined();
    }
    await cache.set(key("b"), completion);
    expect(await cache.get(key("b"))).toEqual(completion);
  });

  it("refuses keys that are not SHA-256 hex (no path tricks) and empty folders", async () => {
    const cache = createDiskCache(freshFolder());
    await expect(cache.get("../../etc/passwd")).rejects.toSatisfy((error) =>
      isTokenscopeError(error, "INVALID_INPUT"),
    );
    await expect(cache.set("ABC", completion)).rejects.toSatisfy((error) =>
      isTokenscopeError(error, "INVALID_INPUT"),
    );
    expect(() => createDiskCache("")).toThrow(/non-empty/);
  });
});

describe("resuming through the disk cache", () => {
  const prompts = Array.from({ length: 10 }, (_, index) => `Tell me story number ${index}`);
  const config = () => ({ baseUrl: server.baseUrl, model: "fake", mode: "completions" as const });

  it("sends nothing on a second run with the same folder", async () => {
    const dir = freshFolder();
    const first = createEndpoint(config(), { cache: createDiskCache(dir) });
    await first.capabilities();
    const answers = await Promise.all(
      prompts.map((prompt) => first.complete({ prompt, maxTokens: 3, echo: true })),
    );
    const sentFirst = server.completionRequests().length;
    expect(sentFirst).toBe(prompts.length + 2);
    server.reset();
    const second = createEndpoint(config(), { cache: createDiskCache(dir) });
    await second.capabilities();
    const again = await Promise.all(
      prompts.map((prompt) => second.complete({ prompt, maxTokens: 3, echo: true })),
    );
    expect(again).toEqual(answers);
    expect(server.completionRequests()).toHaveLength(0);
    expect(second.stats()).toMatchObject({ requests: 0, cacheHits: prompts.length + 2, promptTokens: 0 });
  });

  it("sends only the missing requests after a run cancelled half way", async () => {
    const dir = freshFolder();
    // The second half hangs, as a slow server would when the user presses Ctrl-C.
    server.setFaults(
      faultsByPrompt(Object.fromEntries(prompts.slice(5).map((prompt) => [prompt, [{ kind: "hang" }]]))),
    );
    const controller = new AbortController();
    // More slots than hanging requests: requests reach the limiter in no fixed order (the cache
    // lookup comes first), and the answerable ones must not wait behind the hung ones.
    const first = createEndpoint(config(), { cache: createDiskCache(dir), concurrency: 8 });
    let answered = 0;
    const outcomes = await Promise.allSettled(
      prompts.map(async (prompt) => {
        const result = await first.complete({ prompt, maxTokens: 2 }, { signal: controller.signal });
        if (++answered === 5) controller.abort();
        return result;
      }),
    );
    expect(outcomes.slice(0, 5).every((outcome) => outcome.status === "fulfilled")).toBe(true);
    for (const outcome of outcomes.slice(5)) {
      expect(outcome.status === "rejected" && isTokenscopeError(outcome.reason, "ABORTED")).toBe(true);
    }
    expect(await readdir(dir)).toHaveLength(5);

    server.setFaults(undefined);
    server.reset();
    const second = createEndpoint(config(), { cache: createDiskCache(dir), concurrency: 3 });
    const answers = await Promise.all(prompts.map((prompt) => second.complete({ prompt, maxTokens: 2 })));
    expect(answers.every((answer) => answer.text.length > 0)).toBe(true);
    expect(
      server
        .completionRequests()
        .map((request) => request.prompt)
        .sort(),
    ).toEqual(prompts.slice(5).sort());
    expect(second.stats()).toMatchObject({ requests: 5, cacheHits: 5 });
  });
});
