import { MalformedResponseError } from "../transport/classify.ts";
import type { Completion, TokenLogprob, TopLogprob } from "./types.ts";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A number, or null for anything else (servers send null, "-inf" or nothing). */
function logprobOf(value: unknown): number | null {
  return typeof value === "number" && !Number.isNaN(value) ? value : null;
}

function firstChoice(body: unknown): Json {
  if (!isObject(body)) {
    throw new MalformedResponseError(
      typeof body === "string" ? "the body is not JSON" : "the body is not a JSON object",
    );
  }
  const choices = body.choices;
  if (!Array.isArray(choices) || !isObject(choices[0])) throw new MalformedResponseError("it has no choices");
  return choices[0];
}

function usageOf(
  body: Json,
  fallback: { promptTokens: number; completionTokens: number },
): Completion["usage"] {
  const usage = isObject(body.usage) ? body.usage : {};
  return {
    promptTokens: typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : fallback.promptTokens,
    completionTokens:
      typeof usage.completion_tokens === "number" ? usage.completion_tokens : fallback.completionTokens,
  };
}

/** Sorted most likely first; ties keep the server's order. */
function sortTop(top: TopLogprob[]): TopLogprob[] {
  return top
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.logprob - a.entry.logprob || a.index - b.index)
    .map(({ entry }) => entry);
}

/**
 * A chat completion's answer as a {@link Completion}: `choices[0].message.content` and
 * `choices[0].logprobs.content[]` (token, logprob, top_logprobs). `estimatedPromptTokens` stands
 * in for `usage.prompt_tokens` when the server does not report usage.
 * @throws MalformedResponseError when the body has no choices (the request is retried).
 */
export function fromChatResponse(body: unknown, estimatedPromptTokens: number): Completion {
  const choice = firstChoice(body);
  const message = isObject(choice.message) ? choice.message : {};
  const text = typeof message.content === "string" ? message.content : "";
  const content = isObject(choice.logprobs) ? choice.logprobs.content : undefined;
  let tokens: TokenLogprob[] | null = null;
  if (Array.isArray(content)) {
    tokens = content.filter(isObject).map((entry) => ({
      token: typeof entry.token === "string" ? entry.token : "",
      logprob: logprobOf(entry.logprob),
      top: sortTop(
        (Array.isArray(entry.top_logprobs) ? entry.top_logprobs : [])
          .filter(isObject)
          .filter((top) => typeof top.token === "string" && logprobOf(top.logprob) !== null)
          .map((top) => ({ token: top.token as string, logprob: top.logprob as number })),
      ),
    }));
  }
  return {
    text,
    tokens,
    promptTokens: null,
    finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
    usage: usageOf(body as Json, {
      promptTokens: estimatedPromptTokens,
      completionTokens: tokens?.length ?? 0,
    }),
  };
}

/**
 * A (legacy) completion's answer as a {@link Completion}: `choices[0].text` and
 * `choices[0].logprobs` with parallel arrays `tokens`, `token_logprobs`, `top_logprobs` (objects
 * token → logprob) and `text_offset`. With `echo`, when the text starts with the prompt, the
 * tokens whose `text_offset` lies inside the prompt are the prompt's and the text loses its echoed
 * prompt; otherwise `usage.completion_tokens` splits them (the last ones are generated). A server
 * that ignored `echo` gives `promptTokens: null`. Offsets of generated tokens are made relative to the generated
 * text (servers count them from the prompt's start or from 0).
 * @throws MalformedResponseError when the body has no choices (the request is retried).
 */
export function fromCompletionsResponse(
  body: unknown,
  request: { prompt: string; echo: boolean },
  estimatedPromptTokens: number,
): Completion {
  const choice = firstChoice(body);
  let text = typeof choice.text === "string" ? choice.text : "";
  const echoedText = request.echo && text.startsWith(request.prompt);
  if (echoedText) text = text.slice(request.prompt.length);
  const logprobs = isObject(choice.logprobs) ? choice.logprobs : undefined;
  let tokens: TokenLogprob[] | null = null;
  let promptTokens: TokenLogprob[] | null = null;
  const usage = usageOf(body as Json, { promptTokens: estimatedPromptTokens, completionTokens: 0 });
  if (logprobs && Array.isArray(logprobs.tokens)) {
    const names = logprobs.tokens;
    const values = Array.isArray(logprobs.token_logprobs) ? logprobs.token_logprobs : [];
    const tops = Array.isArray(logprobs.top_logprobs) ? logprobs.top_logprobs : [];
    const offsets = Array.isArray(logprobs.text_offset) ? logprobs.text_offset : [];
    const all: TokenLogprob[] = names.map((name, index) => {
      const top = tops[index];
      const offset = offsets[index];
      return {
        token: typeof name === "string" ? name : String(name),
        logprob: logprobOf(values[index]),
        top: isObject(top)
          ? sortTop(
              Object.entries(top)
                .filter(([, value]) => logprobOf(value) !== null)
                .map(([token, value]) => ({ token, logprob: value as number })),
            )
          : [],
        ...(typeof offset === "number" ? { offset } : {}),
      };
    });
    let split = 0;
    if (request.echo) {
      const reportedCompletion = isObject((body as Json).usage) ? usage.completionTokens : undefined;
      const haveOffsets = all.length > 0 && all.every((token) => token.offset !== undefined);
      if (echoedText && haveOffsets) {
        split = all.filter((token) => (token.offset as number) < request.prompt.length).length;
        promptTokens = all.slice(0, split);
      } else if (reportedCompletion !== undefined && all.length > reportedCompletion) {
        // The echoed text differs from the prompt (a tokenizer's round trip); usage still splits.
        split = all.length - reportedCompletion;
        promptTokens = all.slice(0, split);
        if (!echoedText)
          text = all
            .slice(split)
            .map((token) => token.token)
            .join("");
      }
    }
    tokens = all.slice(split);
    const firstOffset = tokens[0]?.offset;
    if (firstOffset !== undefined) {
      tokens = tokens.map((token) =>
        token.offset === undefined ? token : { ...token, offset: token.offset - firstOffset },
      );
    }
    if (!isObject((body as Json).usage)) usage.completionTokens = tokens.length;
  }
  return {
    text,
    tokens,
    promptTokens,
    finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
    usage,
  };
}
