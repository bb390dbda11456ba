import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMemoryCache } from "../cache/memory-cache.ts";
import { fakeGenerate } from "../testing/fake-model.test-helpers.ts";
import {
  type FaultServer,
  faultAlways,
  faultsByIndex,
  faultsByPrompt,
  startFaultServer,
} from "../testing/fault-server.test-helpers.ts";
import { createEndpoint, type EndpointOptions } from "./create-endpoint.ts";
import type { EndpointConfig } from "./types.ts";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setFaults(undefined);
  server.reset();
});

/** Records the waits instead of waiting. */
function recordingSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

function endpoint(config: Partial<EndpointConfig> = {}, options: EndpointOptions = {}) {
  return createEndpoint(
    {
      baseUrl: server.baseUrl,
      model: "fake",
      mode: "chat",
      apiKeyEnv: "TOKENSCOPE_TEST_NO_SUCH_KEY",
      ...config,
    },
    { sleep: recordingSleep().sleep, timeoutMs: 2_000, ...options },
  );
}

function expectedText(prompt: string, maxTokens: number): string {
  return fakeGenerate(prompt, maxTokens, 1)
    .map((token) => token.token)
    .join("");
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

describe("createEndpoint: requests", () => {
  it("sends a chat request at temperature 0 with the seed and logprobs, and converts the answer", async () => {
    const api = endpoint();
    const completion = await api.complete({ prompt: "Once upon a time", maxTokens: 3, topLogprobs: 5 });
    expect(completion.text).toBe(expectedText("Once upon a time", 3));
    expect(completion.tokens).toHaveLength(3);
    expect(completion.tokens?.[0]?.top).toHaveLength(5);
    expect(completion.tokens?.[0]?.token).toBe(completion.tokens?.[0]?.top[0]?.token);
    expect(completion.promptTokens).toBeNull();
    expect(completion.usage).toEqual({ promptTokens: 4, completionTokens: 3 });
    const [sent] = server.completionRequests();
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.body).toMatchObject({
      model: "fake",
      temperature: 0,
      seed: 0,
      max_tokens: 3,
      logprobs: true,
      top_logprobs: 5,
      messages: [{ role: "user", content: "Once upon a time" }],
    });
    expect(api.stats()).toEqual({
      requests: 1,
      cacheHits: 0,
      retries: 0,
      promptTokens: 4,
      completionTokens: 3,
    });
  });

  it("sends completions with logprobs as a number and splits echoed prompt tokens from generated ones", async () => {
    const api = endpoint({ mode: "completions" }, { seed: 7 });
    const completion = await api.complete({
      prompt: "The cat sat",
      maxTokens: 2,
      topLogprobs: 3,
      echo: true,
    });
    expect(completion.text).toBe(expectedText("The cat sat", 2));
    expect(completion.promptTokens?.map((token) => token.token)).toEqual(["The", " cat", " sat"]);
    expect(completion.promptTokens?.[0]?.logprob).toBeNull();
    expect(completion.promptTokens?.[1]?.offset).toBe(3);
    expect(completion.tokens).toHaveLength(2);
    expect(completion.tokens?.[0]?.offset).toBe(0);
    expect(completion.tokens?.[0]?.top).toHaveLength(3);
    expect(server.completionRequests()[0]?.body).toMatchObject({
      prompt: "The cat sat",
      logprobs: 3,
      echo: true,
      seed: 7,
    });
  });
});

describe("createEndpoint: retries", () => {
  const faults = [
    ["429 with Retry-After", { kind: "status", status: 429, retryAfter: "0" }],
    ["500", { kind: "status", status: 500 }],
    ["502", { kind: "status", status: 502 }],
    ["503", { kind: "status", status: 503 }],
    ["504", { kind: "status", status: 504 }],
    ["408", { kind: "status", status: 408 }],
    ["a hang past the timeout", { kind: "hang" }],
    ["a malformed JSON body", { kind: "malformed-json" }],
    ["a connection reset mid-response", { kind: "reset" }],
  ] as const;

  for (const mode of ["chat", "completions"] as const) {
    for (const [name, fault] of faults) {
      it(`${mode}: retries after ${name} and returns the right answer`, async () => {
        server.setFaults(faultsByIndex({ 0: fault }));
        // A short timeout only where the server hangs: elsewhere a slow machine must not time out.
        const api = endpoint({ mode }, { timeoutMs: fault.kind === "hang" ? 200 : 5_000 });
        const completion = await api.complete({ prompt: `after ${name}`, maxTokens: 2 });
        expect(completion.text).toBe(expectedText(`after ${name}`, 2));
        expect(server.completionRequests()).toHaveLength(2);
        expect(server.completionRequests()[0]?.fault).toEqual(fault);
        expect(api.stats()).toMatchObject({ requests: 2, retries: 1, cacheHits: 0 });
        // Only the answered attempt counts its tokens.
        expect(api.stats().completionTokens).toBe(2);
      });
    }
  }

  it("survives every fault in a row on one request", async () => {
    const prompt = "a very unlucky request";
    server.setFaults(
      faultsByPrompt({
        [prompt]: [
          { kind: "status", status: 429, retryAfter: "1" },
          { kind: "status", status: 500 },
          { kind: "reset" },
          { kind: "malformed-json" },
          { kind: "hang" },
          { kind: "status", status: 503 },
        ],
      }),
    );
    const { delays, sleep } = recordingSleep();
    const api = endpoint({}, { sleep, timeoutMs: 400 });
    const completion = await api.complete({ prompt, maxTokens: 4 });
    expect(completion.text).toBe(expectedText(prompt, 4));
    expect(server.completionRequests()).toHaveLength(7);
    expect(api.stats()).toMatchObject({ requests: 7, retries: 6 });
    expect(delays[0]).toBe(1000);
  });

  it("honours Retry-After in seconds and as an HTTP-date, capped by maxRetryAfterMs", async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    server.setFaults(
      faultsByIndex({
        0: { kind: "status", status: 429, retryAfter: "3" },
        1: { kind: "status", status: 503, retryAfter: inTenSeconds },
        2: { kind: "status", status: 429, retryAfter: "7200" },
      }),
    );
    const { delays, sleep } = recordingSleep();
    const api = endpoint({}, { sleep, maxRetryAfterMs: 20_000 });
    await api.complete({ prompt: "patience", maxTokens: 1 });
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBe(3000);
    expect(delays[1]).toBeGreaterThan(8_000);
    expect(delays[1]).toBeLessThanOrEqual(10_000);
    expect(delays[2]).toBe(20_000);
  });

  it("waits for real with the default sleep", async () => {
    server.setFaults(faultsByIndex({ 0: { kind: "status", status: 429, retryAfter: "0.08" } }));
    const api = createEndpoint({ baseUrl: server.baseUrl, model: "fake" });
    const started = performance.now();
    await api.complete({ prompt: "wait for it", maxTokens: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(70);
  });

  it("backs off exponentially with full jitter when the server gives no Retry-After", async () => {
    server.setFaults(
      faultsByPrompt({
        backoff: [
          { kind: "status", status: 500 },
          { kind: "status", status: 500 },
          { kind: "status", status: 500 },
        ],
      }),
    );
    const { delays, sleep } = recordingSleep();
    const api = endpoint({}, { sleep, backoff: { baseDelayMs: 100, maxDelayMs: 300, random: () => 0.5 } });
    await api.complete({ prompt: "backoff", maxTokens: 1 });
    expect(delays).toEqual([50, 100, 150]);
  });

  it("ends a persistent 500 in API_ERROR naming the status and the server's message", async () => {
    server.setFaults(faultAlways({ kind: "status", status: 500, message: "the model is on fire" }));
    const api = endpoint({}, { maxRetries: 2 });
    const error = await rejection(api.complete({ prompt: "doomed", maxTokens: 1 }));
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("HTTP 500");
    expect(error.message).toContain("the model is on fire");
    expect(error.message).toContain("after 3 attempts");
    expect(error.message).toContain(server.baseUrl);
    expect(error.details).toMatchObject({ status: 500, serverMessage: "the model is on fire", attempts: 3 });
    expect(server.completionRequests()).toHaveLength(3);
    expect(api.stats()).toMatchObject({ requests: 3, retries: 2 });
  });

  it("ends a persistent 429 in RATE_LIMITED", async () => {
    server.setFaults(faultAlways({ kind: "status", status: 429, retryAfter: "0", message: "slow down" }));
    const error = await rejection(
      endpoint({}, { maxRetries: 1 }).complete({ prompt: "greedy", maxTokens: 1 }),
    );
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toContain("slow down");
    expect(error.details.status).toBe(429);
  });

  it("ends persistent timeouts in API_ERROR saying how long it waited", async () => {
    server.setFaults(faultAlways({ kind: "hang" }));
    const error = await rejection(
      endpoint({}, { maxRetries: 1, timeoutMs: 100 }).complete({ prompt: "silence", maxTokens: 1 }),
    );
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("within 100 ms");
    expect(error.details.kind).toBe("timeout");
    expect(server.completionRequests()).toHaveLength(2);
  });

  for (const status of [400, 401, 403, 404, 422]) {
    it(`does not retry HTTP ${status}`, async () => {
      server.setFaults(faultAlways({ kind: "status", status, message: `refused with ${status}` }));
      const api = endpoint();
      const error = await rejection(api.complete({ prompt: "no", maxTokens: 1 }));
      expect(error.code).toBe("API_ERROR");
      expect(error.details.status).toBe(status);
      expect(error.message).toContain(`refused with ${status}`);
      expect(server.completionRequests()).toHaveLength(1);
      expect(api.stats()).toMatchObject({ requests: 1, retries: 0 });
    });
  }

  it("reports a server that cannot be reached", async () => {
    const closed = await startFaultServer();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const error = await rejection(
      createEndpoint({ baseUrl, model: "fake" }, { maxRetries: 1, sleep: recordingSleep().sleep }).complete({
        prompt: "anyone?",
        maxTokens: 1,
      }),
    );
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain(`Could not reach the API at ${baseUrl}`);
    expect(error.details.kind).toBe("connection");
  });

  it("tells onRetry about every retry", async () => {
    server.setFaults(
      faultsByIndex({ 0: { kind: "status", status: 503, retryAfter: "2" }, 1: { kind: "reset" } }),
    );
    const events: unknown[] = [];
    const api = endpoint({}, { onRetry: (event) => events.push(event), backoff: { random: () => 0 } });
    await api.complete({ prompt: "told", maxTokens: 1 });
    expect(events).toEqual([
      expect.objectContaining({ retry: 1, delayMs: 2000, reason: "status", status: 503 }),
      expect.objectContaining({ retry: 2, delayMs: 0, reason: "connection" }),
    ]);
  });
});

describe("createEndpoint: counting, concurrency and budget", () => {
  it("counts exactly the requests the server saw, under faults and concurrency", async () => {
    const prompts = Array.from({ length: 24 }, (_, index) => `prompt number ${index}`);
    const kinds = [
      { kind: "status", status: 429, retryAfter: "0" },
      { kind: "status", status: 500 },
      { kind: "reset" },
      { kind: "malformed-json" },
      { kind: "hang" },
      { kind: "status", status: 503 },
    ] as const;
    server.setFaults(
      faultsByPrompt(
        Object.fromEntries(
          prompts.map((prompt, index) => [prompt, kinds.slice(0, index % (kinds.length + 1))]),
        ),
      ),
    );
    const api = endpoint({ mode: "completions" }, { concurrency: 4, timeoutMs: 600 });
    const completions = await Promise.all(prompts.map((prompt) => api.complete({ prompt, maxTokens: 2 })));
    completions.forEach((completion, index) => {
      expect(completion.text).toBe(expectedText(prompts[index] as string, 2));
    });
    const seen = server.completionRequests();
    expect(api.stats().requests).toBe(seen.length);
    expect(api.stats().retries).toBe(seen.length - prompts.length);
    for (const [index, prompt] of prompts.entries()) {
      // Every prompt was sent once per fault, and once more to be answered: none lost, none twice.
      expect(seen.filter((request) => request.prompt === prompt)).toHaveLength(
        (index % (kinds.length + 1)) + 1,
      );
    }
    // (No in-flight check here: the server still counts a timed-out request until it sees the
    // socket close, after the client has already given its slot to the next one.)
    expect(api.stats().completionTokens).toBe(2 * prompts.length);
  });

  it("never has more requests in flight than the concurrency limit", async () => {
    server.setFaults(faultAlways({ kind: "delay", ms: 30 }));
    const api = endpoint({}, { concurrency: 3 });
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => api.complete({ prompt: `p${index}`, maxTokens: 1 })),
    );
    expect(server.maxInFlight).toBe(3);
    server.reset();
    const byDefault = endpoint();
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => byDefault.complete({ prompt: `q${index}`, maxTokens: 1 })),
    );
    expect(server.maxInFlight).toBe(8);
  });

  it("refuses to send the request past maxRequests, saying how many were sent", async () => {
    const api = endpoint({}, { budget: { maxRequests: 3 } });
    for (const prompt of ["a", "b", "c"]) await api.complete({ prompt, maxTokens: 1 });
    const error = await rejection(api.complete({ prompt: "d", maxTokens: 1 }));
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("3 requests were sent");
    expect(error.message).toContain("maxRequests = 3");
    expect(error.hint).toContain("--max-requests");
    expect(error.details.budget).toMatchObject({ limit: "maxRequests", maxRequests: 3, requestsSent: 3 });
    expect(server.completionRequests()).toHaveLength(3);
  });

  it("counts retries against maxRequests", async () => {
    server.setFaults(faultAlways({ kind: "status", status: 500 }));
    const api = endpoint({}, { budget: { maxRequests: 2 } });
    const error = await rejection(api.complete({ prompt: "costly", maxTokens: 1 }));
    expect(error.details.budget).toMatchObject({ limit: "maxRequests" });
    expect(server.completionRequests()).toHaveLength(2);
  });

  it("refuses to send a request that would pass maxTokens", async () => {
    // "one two three": 13 characters, estimated 4 + 3 tokens; the server reports 3 + 3.
    const api = endpoint({}, { budget: { maxTokens: 20 } });
    for (let run = 0; run < 3; run++) await api.complete({ prompt: `one two thre${run}`, maxTokens: 3 });
    expect(api.stats().promptTokens + api.stats().completionTokens).toBe(18);
    const error = await rejection(api.complete({ prompt: "one two three", maxTokens: 3 }));
    expect(error.code).toBe("API_ERROR");
    expect(error.message).toContain("maxTokens = 20");
    expect(error.details.budget).toMatchObject({ limit: "maxTokens", tokensUsed: 18, estimatedTokens: 7 });
    expect(server.completionRequests()).toHaveLength(3);
  });

  it("holds the tokens of requests in flight so that concurrent requests cannot overshoot", async () => {
    server.setFaults(faultAlways({ kind: "delay", ms: 20 }));
    const api = endpoint({}, { budget: { maxTokens: 21 } });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, index) => api.complete({ prompt: `one two thre${index}`, maxTokens: 3 })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(3);
    expect(server.completionRequests()).toHaveLength(3);
  });
});

describe("createEndpoint: cancellation", () => {
  it("aborts a request in flight with ABORTED, without retrying it", async () => {
    server.setFaults(faultAlways({ kind: "hang" }));
    const controller = new AbortController();
    const api = endpoint({}, { timeoutMs: 10_000 });
    const pending = rejection(api.complete({ prompt: "stuck", maxTokens: 1 }, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error.code).toBe("ABORTED");
    expect(server.completionRequests()).toHaveLength(1);
    expect(api.stats().retries).toBe(0);
  });

  it("aborts the wait before a retry", async () => {
    server.setFaults(faultAlways({ kind: "status", status: 429, retryAfter: "30" }));
    const controller = new AbortController();
    const api = createEndpoint({ baseUrl: server.baseUrl, model: "fake" });
    const started = performance.now();
    const pending = rejection(
      api.complete({ prompt: "waiting", maxTokens: 1 }, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 80);
    expect((await pending).code).toBe("ABORTED");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.completionRequests()).toHaveLength(1);
  });

  it("sends nothing when already aborted, and aborts requests waiting for a slot", async () => {
    const api = endpoint({}, { concurrency: 1 });
    const aborted = AbortSignal.abort();
    expect((await rejection(api.complete({ prompt: "never", maxTokens: 1 }, { signal: aborted }))).code).toBe(
      "ABORTED",
    );
    server.setFaults(faultAlways({ kind: "delay", ms: 100 }));
    const controller = new AbortController();
    const first = api.complete({ prompt: "first", maxTokens: 1 });
    const second = rejection(api.complete({ prompt: "second", maxTokens: 1 }, { signal: controller.signal }));
    controller.abort();
    expect((await second).code).toBe("ABORTED");
    await first;
    expect(server.completionRequests().map((request) => request.prompt)).toEqual(["first"]);
  });
});

describe("createEndpoint: caching and validation", () => {
  it("answers a repeated request from the cache and sends identical requests in flight once", async () => {
    const cache = createMemoryCache();
    const api = endpoint({}, { cache });
    const [one, two] = await Promise.all([
      api.complete({ prompt: "twins", maxTokens: 2 }),
      api.complete({ prompt: "twins", maxTokens: 2 }),
    ]);
    expect(one).toEqual(two);
    const three = await api.complete({ prompt: "twins", maxTokens: 2 });
    expect(three).toEqual(one);
    expect(server.completionRequests()).toHaveLength(1);
    expect(api.stats()).toMatchObject({ requests: 1, cacheHits: 2 });
    // A different request is a different key.
    await api.complete({ prompt: "twins", maxTokens: 3 });
    expect(server.completionRequests()).toHaveLength(2);
    expect(cache.size).toBe(2);
  });

  it("caches successful answers only", async () => {
    const cache = createMemoryCache();
    server.setFaults(faultsByIndex({ 0: { kind: "status", status: 500 } }));
    const failing = endpoint({}, { cache, maxRetries: 0 });
    await rejection(failing.complete({ prompt: "flaky", maxTokens: 1 }));
    expect(cache.size).toBe(0);
    const api = endpoint({}, { cache });
    await api.complete({ prompt: "flaky", maxTokens: 1 });
    expect(server.completionRequests()).toHaveLength(2);
    expect(cache.size).toBe(1);
  });

  it("refuses malformed requests before sending", async () => {
    const api = endpoint();
    expect((await rejection(api.complete({ prompt: "x", maxTokens: 0 }))).code).toBe("INVALID_INPUT");
    expect((await rejection(api.complete({ prompt: "x", maxTokens: 1.5 }))).code).toBe("INVALID_INPUT");
    expect((await rejection(api.complete({ prompt: "x", maxTokens: 1, topLogprobs: 21 }))).code).toBe(
      "INVALID_INPUT",
    );
    expect((await rejection(api.complete({ prompt: "x", maxTokens: 1, echo: true }))).code).toBe(
      "MISSING_CAPABILITY",
    );
    expect(server.completionRequests()).toHaveLength(0);
    expect(() => createEndpoint({ baseUrl: "not a url", model: "m" })).toThrow(/not a URL/);
  });

  it("scores a prompt with echo and maxTokens 0", async () => {
    const api = endpoint({ mode: "completions" });
    const completion = await api.complete({ prompt: "The dog ran", maxTokens: 0, echo: true });
    expect(completion.text).toBe("");
    expect(completion.tokens).toEqual([]);
    expect(completion.promptTokens?.map((token) => token.token)).toEqual(["The", " dog", " ran"]);
  });
});
