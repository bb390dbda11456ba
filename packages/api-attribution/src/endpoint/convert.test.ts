import { describe, expect, it } from "vitest";
import { MalformedResponseError } from "../transport/classify.ts";
import { fromChatResponse, fromCompletionsResponse } from "./convert.ts";

describe("fromChatResponse", () => {
  it("reads the content's tokens with their alternatives, most likely first", () => {
    const completion = fromChatResponse(
      {
        choices: [
          {
            message: { content: "Hi" },
            finish_reason: "length",
            logprobs: {
              content: [
                {
                  token: "Hi",
                  logprob: -0.1,
                  top_logprobs: [
                    { token: "Yo", logprob: -3 },
                    { token: "Hi", logprob: -0.1 },
                  ],
                },
              ],
            },
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 1 },
      },
      99,
    );
    expect(completion).toEqual({
      text: "Hi",
      tokens: [
        {
          token: "Hi",
          logprob: -0.1,
          top: [
            { token: "Hi", logprob: -0.1 },
            { token: "Yo", logprob: -3 },
          ],
        },
      ],
      promptTokens: null,
      finishReason: "length",
      usage: { promptTokens: 5, completionTokens: 1 },
    });
  });

  it("gives null tokens without logprobs, estimates missing usage, and refuses bodies without choices", () => {
    const completion = fromChatResponse({ choices: [{ message: { content: "x" }, logprobs: null }] }, 7);
    expect(completion.tokens).toBeNull();
    expect(completion.usage).toEqual({ promptTokens: 7, completionTokens: 0 });
    expect(() => fromChatResponse({ choices: [] }, 0)).toThrow(MalformedResponseError);
    expect(() => fromChatResponse("<html>", 0)).toThrow(/not JSON/);
  });
});

describe("fromCompletionsResponse", () => {
  const logprobs = {
    tokens: ["Hello", " world", " again"],
    token_logprobs: [null, -1.5, -0.25],
    top_logprobs: [null, { " world": -1.5, " there": -0.5 }, { " again": -0.25 }],
    text_offset: [0, 5, 11],
  };

  it("splits echoed prompt tokens by text_offset and strips the prompt from the text", () => {
    const completion = fromCompletionsResponse(
      {
        choices: [{ text: "Hello world again", logprobs, finish_reason: "length" }],
        usage: { prompt_tokens: 2, completion_tokens: 1 },
      },
      { prompt: "Hello world", echo: true },
      0,
    );
    expect(completion.text).toBe(" again");
    expect(completion.promptTokens).toEqual([
      { token: "Hello", logprob: null, top: [], offset: 0 },
      {
        token: " world",
        logprob: -1.5,
        top: [
          { token: " there", logprob: -0.5 },
          { token: " world", logprob: -1.5 },
        ],
        offset: 5,
      },
    ]);
    expect(completion.tokens).toEqual([
      { token: " again", logprob: -0.25, top: [{ token: " again", logprob: -0.25 }], offset: 0 },
    ]);
  });

  it("splits by usage when the echoed text is not the prompt verbatim, and notices an ignored echo", () => {
    const roundTrip = fromCompletionsResponse(
      {
        choices: [{ text: "hello world again", logprobs }],
        usage: { prompt_tokens: 2, completion_tokens: 1 },
      },
      { prompt: "Hello world", echo: true },
      0,
    );
    expect(roundTrip.promptTokens).toHaveLength(2);
    expect(roundTrip.text).toBe(" again");
    const ignored = fromCompletionsResponse(
      {
        choices: [
          {
            text: " again",
            logprobs: { tokens: [" again"], token_logprobs: [-0.25], top_logprobs: [{}], text_offset: [11] },
          },
        ],
        usage: { prompt_tokens: 2, completion_tokens: 1 },
      },
      { prompt: "Hello world", echo: true },
      0,
    );
    expect(ignored.promptTokens).toBeNull();
    expect(ignored.tokens?.[0]).toEqual({ token: " again", logprob: -0.25, top: [], offset: 0 });
  });

  it("makes generated offsets relative to the generated text without echo", () => {
    const completion = fromCompletionsResponse(
      {
        choices: [
          {
            text: " a b",
            logprobs: { tokens: [" a", " b"], token_logprobs: [-1, -2], text_offset: [11, 13] },
          },
        ],
      },
      { prompt: "Hello world", echo: false },
      3,
    );
    expect(completion.tokens?.map((token) => token.offset)).toEqual([0, 2]);
    expect(completion.usage).toEqual({ promptTokens: 3, completionTokens: 2 });
  });
});
