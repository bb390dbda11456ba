import { createToyModel } from "@tokenscope/core/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiServer, type OpenAiServer } from "./create-openai-server.ts";
import { forwardLogprobs, promptIds } from "./server.test-helpers.ts";

// The official client (openai v6) talks to the server and parses what it answers.
const model = createToyModel();
let server: OpenAiServer;
let client: OpenAI;
beforeAll(async () => {
  server = await createOpenAiServer(model, { modelName: "toy" });
  client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => server.close());

describe("the openai client against createOpenAiServer", () => {
  it("lists the model", async () => {
    const page = await client.models.list();
    expect(page.data.map((entry) => entry.id)).toEqual(["toy"]);
  });

  it("chat.completions.create with logprobs", async () => {
    const completion = await client.chat.completions.create({
      model: "toy",
      messages: [{ role: "user", content: "the cat" }],
      max_tokens: 5,
      temperature: 0,
      seed: 1,
      logprobs: true,
      top_logprobs: 4,
    });
    const choice = completion.choices[0]!;
    const content = choice.logprobs!.content!;
    expect(content.map((token) => token.token).join("")).toBe(choice.message.content);
    const ids = await promptIds(model, "the cat");
    const generated = (await model.generate!(ids, { maxNewTokens: 5 })).ids;
    const { next } = await forwardLogprobs(model, [...ids, ...generated]);
    content.forEach((token, j) => {
      expect(Math.abs(token.logprob - next[ids.length - 1 + j]!)).toBeLessThan(1e-5);
      expect(token.top_logprobs).toHaveLength(4);
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: ids.length, completion_tokens: 5 });
  });

  it("completions.create with echo scores the prompt", async () => {
    const completion = await client.completions.create({
      model: "toy",
      prompt: "the cat sat",
      max_tokens: 0,
      echo: true,
      logprobs: 2,
    });
    const logprobs = completion.choices[0]!.logprobs!;
    expect(logprobs.tokens!.join("")).toBe("the cat sat");
    const { next } = await forwardLogprobs(model, await promptIds(model, "the cat sat"));
    for (const [i, logprob] of logprobs.token_logprobs!.entries())
      expect(Math.abs(logprob - next[i]!)).toBeLessThan(1e-5);
  });

  it("surfaces a 404 for an unknown model and a 400 for a bad parameter as APIErrors", async () => {
    await expect(client.completions.create({ model: "gpt-4", prompt: "hi" })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(client.completions.create({ model: "toy", prompt: "hi", n: 3 })).rejects.toMatchObject({
      status: 400,
      param: "n",
    });
  });
});
