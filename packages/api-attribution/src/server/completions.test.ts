import { createToyModel } from "@tokenscope/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiServer, type OpenAiServer } from "./create-openai-server.ts";
import { forwardLogprobs, post, promptIds } from "./server.test-helpers.ts";

// Real numbers against the toy model: what the server says equals what the model computes.
const model = createToyModel();
let server: OpenAiServer;
beforeAll(async () => {
  server = await createOpenAiServer(model, { modelName: "toy" });
});
afterAll(() => server.close());

const PROMPT = "the cat sat on";

describe("POST /v1/completions", () => {
  it("greedy output equals model.generate's, with usage", async () => {
    const ids = await promptIds(model, PROMPT);
    const expected = await model.generate!(ids, { maxNewTokens: 10 });
    const { status, body } = await post(server.url, "/completions", {
      model: "toy",
      prompt: PROMPT,
      max_tokens: 10,
      temperature: 0,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: "text_completion", model: "toy" });
    expect(body.choices[0].text).toBe(expected.text);
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.choices[0].logprobs).toBeNull();
    expect(body.usage).toEqual({
      prompt_tokens: ids.length,
      completion_tokens: 10,
      total_tokens: ids.length + 10,
    });
  });

  it("gives real log-probabilities: log-softmax of forward logits, top tokens sorted with the chosen one", async () => {
    const ids = await promptIds(model, PROMPT);
    const { body } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 8,
      temperature: 0,
      logprobs: 5,
    });
    const generated = (await model.generate!(ids, { maxNewTokens: 8 })).ids;
    const { next, rows } = await forwardLogprobs(model, [...ids, ...generated]);
    const logprobs = body.choices[0].logprobs;
    expect(logprobs.tokens.join("")).toBe(body.choices[0].text);
    expect(logprobs.token_logprobs).toHaveLength(8);
    logprobs.token_logprobs.forEach((logprob: number, j: number) => {
      expect(Math.abs(logprob - next[ids.length - 1 + j]!)).toBeLessThan(1e-5);
      const top: Record<string, number> = logprobs.top_logprobs[j];
      const values = Object.values(top);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(top[logprobs.tokens[j]]).toBe(logprob);
      // The five most likely tokens of the row, by value (the toy's specials add no text: one "" key).
      const row = rows[ids.length - 1 + j]!;
      const best = [...row].sort((a, b) => b - a)[0]!;
      expect(Math.abs(values[0]! - best)).toBeLessThan(1e-9);
      expect(values.length).toBeGreaterThanOrEqual(4);
      expect(values.length).toBeLessThanOrEqual(6);
    });
    expect(logprobs.text_offset).toEqual(
      logprobs.tokens.map((_: string, j: number) => logprobs.tokens.slice(0, j).join("").length),
    );
  });

  it("echo with max_tokens 0 scores the prompt: BOS left out, the first token conditioned on it", async () => {
    const ids = await promptIds(model, PROMPT);
    expect(ids[0]).toBe(model.info.specialTokens.bos);
    const { body } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 0,
      echo: true,
      logprobs: 0,
    });
    const { next } = await forwardLogprobs(model, ids);
    const choice = body.choices[0];
    expect(choice.text).toBe(PROMPT);
    expect(choice.logprobs.tokens.join("")).toBe(PROMPT);
    expect(choice.logprobs.tokens).toHaveLength(ids.length - 1);
    choice.logprobs.token_logprobs.forEach((logprob: number, i: number) => {
      expect(Math.abs(logprob - next[i]!)).toBeLessThan(1e-5);
    });
    expect(choice.logprobs.text_offset.slice(0, 3)).toEqual([0, 1, 2]);
    expect(body.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: 0, total_tokens: ids.length });
  });

  it("echo with generation: text_offset counts into prompt plus completion", async () => {
    const { body } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 4,
      echo: true,
      logprobs: 1,
      temperature: 0,
    });
    const choice = body.choices[0];
    expect(choice.text.startsWith(PROMPT)).toBe(true);
    expect(choice.logprobs.tokens.join("")).toBe(choice.text);
    expect(choice.logprobs.tokens).toHaveLength(PROMPT.length + 4);
    expect(choice.logprobs.text_offset.at(-1)).toBe(
      choice.text.length - choice.logprobs.tokens.at(-1).length,
    );
  });

  it("token-id prompts are used exactly as given; without BOS the first token has no logprob", async () => {
    const ids = (await promptIds(model, PROMPT)).slice(1);
    const { body } = await post(server.url, "/completions", {
      prompt: [ids],
      max_tokens: 0,
      echo: true,
      logprobs: 2,
    });
    const logprobs = body.choices[0].logprobs;
    expect(logprobs.tokens.join("")).toBe(PROMPT);
    expect(logprobs.token_logprobs[0]).toBeNull();
    expect(logprobs.top_logprobs[0]).toBeNull();
    const { next } = await forwardLogprobs(model, ids);
    expect(Math.abs(logprobs.token_logprobs[1] - next[0]!)).toBeLessThan(1e-5);
  });

  it("stop strings cut the text at the first of them", async () => {
    const { body: full } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 12,
      temperature: 0,
    });
    const text: string = full.choices[0].text;
    const stop = text.slice(3, 5);
    const cut = text.indexOf(stop);
    const { body } = await post(server.url, "/completions", {
      prompt: [PROMPT],
      max_tokens: 12,
      temperature: 0,
      stop: ["zzzz", stop],
      logprobs: 0,
    });
    expect(body.choices[0].text).toBe(text.slice(0, cut));
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.choices[0].logprobs.tokens.join("")).toBe(text.slice(0, cut));
    expect(body.usage.completion_tokens).toBe(cut);
    const { body: unchanged } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 12,
      temperature: 0,
      stop: "zzzz",
    });
    expect(unchanged.choices[0]).toMatchObject({ text, finish_reason: "length" });
  });
});

describe("POST /v1/chat/completions", () => {
  it("without a chat template reads the user content as the completions prompt: same tokens, same numbers", async () => {
    const { body: chat } = await post(server.url, "/chat/completions", {
      model: "toy",
      messages: [
        { role: "system", content: "ignored without a template" },
        { role: "user", content: PROMPT },
      ],
      max_tokens: 6,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    });
    const { body: completion } = await post(server.url, "/completions", {
      prompt: PROMPT,
      max_tokens: 6,
      temperature: 0,
      logprobs: 3,
    });
    expect(chat).toMatchObject({ object: "chat.completion", model: "toy" });
    expect(chat.choices[0].message).toEqual({
      role: "assistant",
      content: completion.choices[0].text,
      refusal: null,
    });
    expect(chat.usage).toEqual(completion.usage);
    const content = chat.choices[0].logprobs.content;
    expect(content.map((token: { token: string }) => token.token)).toEqual(
      completion.choices[0].logprobs.tokens,
    );
    expect(content.map((token: { logprob: number }) => token.logprob)).toEqual(
      completion.choices[0].logprobs.token_logprobs,
    );
    for (const token of content) {
      expect(token.top_logprobs).toHaveLength(3);
      expect(token.bytes).toEqual([...Buffer.from(token.token, "utf8")]);
      const values = token.top_logprobs.map((alternative: { logprob: number }) => alternative.logprob);
      expect(values).toEqual([...values].sort((a, b) => b - a));
    }
  });

  it("gives no logprobs unless asked, and top_logprobs 0 gives empty lists", async () => {
    const messages = [{ role: "user", content: [{ type: "text", text: PROMPT }] }];
    const { body: plain } = await post(server.url, "/chat/completions", {
      messages,
      max_completion_tokens: 3,
      temperature: 0,
    });
    expect(plain.choices[0].logprobs).toBeNull();
    expect(plain.usage.completion_tokens).toBe(3);
    const { body } = await post(server.url, "/chat/completions", {
      messages,
      max_tokens: 3,
      temperature: 0,
      logprobs: true,
    });
    expect(
      body.choices[0].logprobs.content.map((token: { top_logprobs: unknown[] }) => token.top_logprobs),
    ).toEqual([[], [], []]);
  });
});

describe("chat with a chat template", () => {
  it("renders the messages through it, tokenizes without special tokens and puts one BOS in front", async () => {
    const rendered: unknown[] = [];
    const templated = {
      ...model,
      applyChatTemplate: async (
        messages: { role: string; content: string }[],
        options?: { addGenerationPrompt?: boolean },
      ) => {
        rendered.push({ messages, options });
        return `${messages.map((message) => `${message.role} ${message.content}.`).join(" ")} assistant `;
      },
    };
    const chatServer = await createOpenAiServer(templated, { modelName: "toy" });
    try {
      const messages = [
        { role: "system", content: "be brief" },
        { role: "user", content: "the cat" },
      ];
      const { body } = await post(chatServer.url, "/chat/completions", {
        messages,
        max_tokens: 4,
        temperature: 0,
      });
      expect(rendered).toEqual([{ messages, options: { addGenerationPrompt: true } }]);
      const text = "system be brief. user the cat. assistant ";
      const ids = [
        model.info.specialTokens.bos!,
        ...(await model.tokenize(text, { addSpecialTokens: false })).tokens.map((token) => token.id!),
      ];
      expect(body.usage.prompt_tokens).toBe(ids.length);
      expect(body.choices[0].message.content).toBe((await model.generate!(ids, { maxNewTokens: 4 })).text);
    } finally {
      await chatServer.close();
    }
  });
});
