import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { abortableSleep, requestSignal } from "./abort.ts";
import { backoffDelayMs, seededRandom } from "./backoff.ts";
import { createBudget, estimateRequestTokens } from "./budget.ts";
import { AttemptFailure, classifyFailure, isRetryableStatus } from "./classify.ts";
import { createConcurrencyLimiter } from "./concurrency.ts";
import { withOpenAIErrorBodies } from "./error-body-fetch.ts";
import { createRedactor, stripCredentials } from "./redact.ts";
import { withRetries } from "./retry.ts";
import { parseRetryAfter, retryAfterMs } from "./retry-after.ts";

describe("backoffDelayMs", () => {
  it("grows exponentially under a cap, with full jitter", () => {
    const top = () => 0.999999;
    expect(
      [0, 1, 2, 3, 4, 10].map((attempt) =>
        backoffDelayMs(attempt, { baseDelayMs: 100, maxDelayMs: 1000, random: top }),
      ),
    ).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, { random: () => 0 })).toBe(0);
    const random = seededRandom(42);
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(2, { baseDelayMs: 100, random }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(400);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it("is reproducible with a seeded random", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads seconds, HTTP-dates and OpenAI's retry-after-ms", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0.5 ", now)).toBe(500);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
    for (const bad of ["", "soon", "-1", "1e3", undefined, null])
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "9" }), now)).toBe(9000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});

describe("createConcurrencyLimiter", () => {
  it("runs at most `limit` tasks at once, in order of arrival", async () => {
    const limiter = createConcurrencyLimiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, index) =>
        limiter.run(async () => {
          started.push(index);
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(limiter.active).toBe(0);
  });

  it("frees the slot when a task fails, and drops waiters that are aborted", async () => {
    const limiter = createConcurrencyLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    let release = () => {};
    const holding = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiting = limiter.run(async () => "ran", controller.signal);
    expect(limiter.waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toSatisfy((error) => isTokenscopeError(error, "ABORTED"));
    expect(limiter.waiting).toBe(0);
    release();
    await holding;
    expect(await limiter.run(async () => "next")).toBe("next");
    expect(() => createConcurrencyLimiter(0)).toThrow(/positive integer/);
  });
});

describe("createBudget", () => {
  it("refuses the request past maxRequests and the tokens past maxTokens", () => {
    const budget = createBudget({ maxRequests: 2, maxTokens: 100 });
    budget.reserve(10).settle(40);
    const open = budget.reserve(50);
    expect(() => budget.reserve(1)).toThrow(/maxRequests = 2/);
    open.release();
    const tokens = createBudget({ maxTokens: 100 });
    tokens.reserve(10).settle(60);
    const held = tokens.reserve(30);
    expect(() => tokens.reserve(20)).toThrow(/30 more held by requests in flight/);
    held.settle(25);
    expect(tokens.tokens).toBe(85);
    tokens.reserve(15).settle(15);
    expect(() => tokens.reserve(1)).toThrow(/maxTokens = 100/);
    expect(() => createBudget({ maxRequests: -1 })).toThrow(/at least 0/);
  });

  it("estimates a quarter of the prompt's characters plus the new tokens", () => {
    expect(estimateRequestTokens({ prompt: "abcdefghi", maxTokens: 5 })).toBe(8);
  });
});

describe("classifyFailure and withRetries", () => {
  it("retries 408, 409, 429 and 5xx but 501 and 505", () => {
    expect([408, 409, 429, 500, 502, 503, 504, 529].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it("classifies timeouts, dropped connections and malformed bodies as retryable", () => {
    expect(classifyFailure(new Error("whatever"), true).kind).toBe("timeout");
    const reset = new TypeError("terminated", {
      cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
    });
    expect(classifyFailure(reset, false)).toMatchObject({ kind: "connection", retryable: true });
    expect(classifyFailure(new SyntaxError("Unexpected end of JSON input"), false)).toMatchObject({
      kind: "malformed",
      retryable: true,
    });
    expect(classifyFailure(new RangeError("a bug"), false)).toMatchObject({
      kind: "other",
      retryable: false,
    });
  });

  it("stops after maxRetries and passes other errors through at once", async () => {
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(new AttemptFailure("status", true, "HTTP 503", { status: 503 }));
    };
    const error = await withRetries(
      failing,
      { maxRetries: 2, sleep: async () => {} },
      (_, count) => new Error(`gave up after ${count}`),
    ).catch((caught: Error) => caught);
    expect(String(error)).toContain("gave up after 3");
    expect(attempts).toBe(3);
    await expect(
      withRetries(
        () => Promise.reject(new Error("budget")),
        { sleep: async () => {} },
        () => new Error("no"),
      ),
    ).rejects.toThrow("budget");
  });
});

describe("signals", () => {
  it("says whether the timeout or the caller fired", async () => {
    const timed = requestSignal(undefined, 10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(timed.signal.aborted && timed.timedOut()).toBe(true);
    const parent = new AbortController();
    const cancelled = requestSignal(parent.signal, 10_000);
    parent.abort();
    expect(cancelled.signal.aborted && !cancelled.timedOut()).toBe(true);
    cancelled.dispose();
  });

  it("abortableSleep ends early with ABORTED", async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(10_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toSatisfy((error) => isTokenscopeError(error, "ABORTED"));
  });
});

describe("redaction", () => {
  it("replaces secrets, bearer tokens and URL credentials", () => {
    const redact = createRedactor(["sk-abc/123", undefined, ""]);
    expect(redact("key sk-abc/123 and sk-abc%2F123")).toBe("key *** and ***");
    expect(redact('{"authorization":"Bearer other-token"}')).toBe('{"authorization":"Bearer ***"}');
    expect(redact("at https://bob:pw@example.com/v1")).toBe("at https://example.com/v1");
  });

  it("strips credentials from base URLs", () => {
    expect(stripCredentials("https://u:p%40ss@host.example/v1")).toEqual({
      url: "https://host.example/v1",
      username: "u",
      password: "p@ss",
    });
    expect(stripCredentials("http://127.0.0.1:8080/v1").url).toBe("http://127.0.0.1:8080/v1");
  });
});

describe("withOpenAIErrorBodies", () => {
  it("rewrites vLLM's and FastAPI's error bodies into OpenAI's shape, leaving successes alone", async () => {
    const answer = (status: number, body: string) =>
      withOpenAIErrorBodies(async () => new Response(body, { status }));
    const read = async (status: number, body: string) => (await answer(status, body)("http://x")).text();
    expect(
      JSON.parse(
        await read(
          400,
          JSON.stringify({ object: "error", message: "logprobs not supported", type: "BadRequestError" }),
        ),
      ),
    ).toEqual({
      error: { message: "logprobs not supported", type: "BadRequestError" },
    });
    expect(JSON.parse(await read(422, JSON.stringify({ detail: [{ msg: "bad seed" }] })))).toEqual({
      error: { message: '[{"msg":"bad seed"}]' },
    });
    expect(JSON.parse(await read(400, JSON.stringify({ error: "plain" })))).toEqual({
      error: { message: "plain" },
    });
    expect(await read(500, "upstream exploded")).toBe("upstream exploded");
    expect(await read(200, '{"choices":[]}')).toBe('{"choices":[]}');
  });
});
