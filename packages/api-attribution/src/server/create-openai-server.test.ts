import { request } from "node:http";
import type { LanguageModel } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiServer, defaultModelName, type OpenAiServer } from "./create-openai-server.ts";
import { get, post } from "./server.test-helpers.ts";

const model = createToyModel();
let server: OpenAiServer;
beforeAll(async () => {
  server = await createOpenAiServer(model, { modelName: "toy", maxBodyBytes: 4096 });
});
afterAll(() => server.close());

describe("createOpenAiServer", () => {
  it("binds 127.0.0.1 on a free port and lists its model", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const { status, body } = await get(server.url, "/models");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: "list",
      data: [{ id: "toy", object: "model", owned_by: "tokenscope" }],
    });
    expect((await get(server.url, "/models/toy")).body.id).toBe("toy");
    expect((await get(server.url, "/models/other")).status).toBe(404);
  });

  it("names a model after the last segment of its reference", () => {
    expect(defaultModelName("../shared/models/stories260K")).toBe("stories260K");
    expect(defaultModelName("HuggingFaceTB/SmolLM2-135M/")).toBe("SmolLM2-135M");
  });

  const bad: [string, string, unknown, number, string | null][] = [
    ["invalid JSON", "/completions", "{not json", 400, null],
    ["a JSON array", "/completions", "[1]", 400, null],
    ["an unknown model", "/completions", { model: "gpt-4", prompt: "hi" }, 404, "model"],
    ["a missing prompt", "/completions", { max_tokens: 2 }, 400, "prompt"],
    ["a prompt of the wrong type", "/completions", { prompt: { text: "hi" } }, 400, "prompt"],
    ["two prompts", "/completions", { prompt: ["a", "b"] }, 400, "prompt"],
    ["an id outside the vocabulary", "/completions", { prompt: [1, 9999] }, 400, "prompt"],
    ["a negative max_tokens", "/completions", { prompt: "hi", max_tokens: -1 }, 400, "max_tokens"],
    ["a fractional max_tokens", "/completions", { prompt: "hi", max_tokens: 1.5 }, 400, "max_tokens"],
    ["logprobs above 20", "/completions", { prompt: "hi", logprobs: 21 }, 400, "logprobs"],
    ["n = 2", "/completions", { prompt: "hi", n: 2 }, 400, "n"],
    ["streaming", "/completions", { prompt: "hi", stream: true }, 400, "stream"],
    ["temperature 3", "/completions", { prompt: "hi", temperature: 3 }, 400, "temperature"],
    ["a stop that is a number", "/completions", { prompt: "hi", stop: 5 }, 400, "stop"],
    ["a presence penalty", "/completions", { prompt: "hi", presence_penalty: 1 }, 400, "presence_penalty"],
    ["no messages", "/chat/completions", { messages: [] }, 400, "messages"],
    [
      "an image part",
      "/chat/completions",
      { messages: [{ role: "user", content: [{ type: "image_url" }] }] },
      400,
      "messages[0].content[0]",
    ],
    [
      "top_logprobs without logprobs",
      "/chat/completions",
      { messages: [{ role: "user", content: "hi" }], top_logprobs: 2 },
      400,
      "top_logprobs",
    ],
    [
      "only a system message",
      "/chat/completions",
      { messages: [{ role: "system", content: "hi" }] },
      400,
      "messages",
    ],
  ];
  it.each(bad)("answers %s with an OpenAI error body", async (_name, path, body, status, param) => {
    const answer = await post(server.url, path, body);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject({ type: expect.any(String), message: expect.any(String), param });
    expect(Object.keys(answer.body.error).sort()).toEqual(["code", "message", "param", "type"]);
  });

  it("refuses a prompt past the context length, and max_tokens that would overflow it", async () => {
    const long = await post(server.url, "/completions", { prompt: "a".repeat(80), max_tokens: 0 });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: "context_length_exceeded", param: "prompt" });
    expect(long.body.error.message).toContain("maximum context length is 64 tokens");
    const overflow = await post(server.url, "/completions", { prompt: "a".repeat(40), max_tokens: 30 });
    expect(overflow.body.error).toMatchObject({ code: "context_length_exceeded", param: "max_tokens" });
    // Without max_tokens the default is lowered to what fits.
    const fits = await post(server.url, "/completions", { prompt: "a".repeat(60), temperature: 0 });
    expect(fits.status).toBe(200);
    expect(fits.body.usage.completion_tokens).toBe(3);
  });

  it("answers 413 to a body over the limit, 404 to an unknown path, 405 to a wrong method, and keeps serving", async () => {
    const big = await post(server.url, "/completions", { prompt: "a".repeat(10_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("request_too_large");
    // Chunked, without a Content-Length: refused while reading.
    const chunked = await rawPost(server.url, "/completions", "x".repeat(20_000));
    expect(chunked.status).toBe(413);
    expect((await get(server.url, "/nothing")).status).toBe(404);
    expect((await get(server.url, "/completions")).status).toBe(405);
    const after = await post(server.url, "/completions", { prompt: "hi", max_tokens: 1 });
    expect(after.status).toBe(200);
  });

  it("refuses a model without forward or generate", async () => {
    const noForward = { ...model, capabilities: new Set(["tokenize", "generate"]) } as LanguageModel;
    await expect(createOpenAiServer(noForward)).rejects.toThrow(/forward/);
  });
});

describe("one request in the model at a time", () => {
  it("queues concurrent requests and answers each", async () => {
    let inside = 0;
    let most = 0;
    const track =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          return await call(...args);
        } finally {
          inside--;
        }
      };
    const watched: LanguageModel = {
      ...model,
      forward: track(model.forward!),
      generate: track(model.generate!),
    };
    const queued = await createOpenAiServer(watched, { modelName: "toy" });
    try {
      const answers = await Promise.all(
        ["the", "a cat", "on the mat", "hello", "why"].map((prompt) =>
          post(queued.url, "/completions", { prompt, max_tokens: 3, temperature: 0, logprobs: 1 }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
      expect(most).toBe(1);
    } finally {
      await queued.close();
    }
  });
});

describe("stopping", () => {
  it("an aborted signal closes the server and frees the port", async () => {
    const controller = new AbortController();
    const stopped = await createOpenAiServer(model, { signal: controller.signal });
    expect((await get(stopped.url, "/models")).body.data[0].id).toBe("toy-model-seed-7");
    controller.abort();
    await stopped.close();
    await expect(fetch(`${stopped.url}/models`)).rejects.toThrow();
  });

  it("close() cancels a running request, which gets a 503 or a closed connection", async () => {
    const slow: LanguageModel = {
      ...model,
      generate: async (ids, options) => {
        for (let step = 0; step < 200; step++) {
          if (options?.signal?.aborted) throw options.signal.reason;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return model.generate!(ids, options);
      },
    };
    const running = await createOpenAiServer(slow);
    const pending = post(running.url, "/completions", { prompt: "hi", max_tokens: 2 }).then(
      (answer) => answer.status,
      () => "closed",
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await running.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect([503, "closed"]).toContain(await pending);
  });
});

function rawPost(url: string, path: string, body: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const target = new URL(`${url}${path}`);
    const call = request(
      target,
      { method: "POST", headers: { "transfer-encoding": "chunked" } },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0 });
      },
    );
    call.on("error", reject);
    for (let i = 0; i < body.length; i += 1000) call.write(body.slice(i, i + 1000));
    call.end();
  });
}
