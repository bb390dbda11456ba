import { complete, type ScoredToken } from "./complete.ts";
import { type HandlerContext, MAX_TOP_LOGPROBS, type Usage, usageOf } from "./completions.ts";
import { badParameter } from "./openai-error.ts";
import { booleanParameter, integerParameter, type RequestBody, refuseUnsupported } from "./parameters.ts";
import { chatMessages, chatPrompt } from "./prompts.ts";
import { decodingSettings, resolveMaxTokens } from "./settings.ts";

/** One alternative of a chat token's `top_logprobs`. */
export interface ChatTopLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of `token`. */
  bytes: number[];
}

/** One token of a chat choice's `logprobs.content`. */
export interface ChatTokenLogprob extends ChatTopLogprob {
  /** The `top_logprobs` most likely tokens, most likely first (ties: the lower id first). */
  top_logprobs: ChatTopLogprob[];
}

/** The body of a `/v1/chat/completions` answer. */
export interface ChatCompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: [
    {
      index: 0;
      message: { role: "assistant"; content: string; refusal: null };
      logprobs: { content: ChatTokenLogprob[]; refusal: null } | null;
      finish_reason: "stop" | "length";
    },
  ];
  usage: Usage;
}

/**
 * `/v1/chat/completions`: one assistant message for `messages` (see {@link chatPrompt} for how they
 * become a prompt). `max_completion_tokens` or `max_tokens` bound the answer (default: up to the
 * context or the server's limit); `logprobs: true` with `top_logprobs` (0–20) gives per token its
 * log-probability and the most likely tokens.
 */
export async function createChatCompletion(
  body: RequestBody,
  context: HandlerContext,
): Promise<ChatCompletionResponse> {
  refuseUnsupported(body, ["tool_choice", "response_format", "audio", "modalities"]);
  const { model } = context;
  const settings = decodingSettings(body);
  const limit = context.maxTokensLimit;
  const maxCompletion = integerParameter(body, "max_completion_tokens", 0, limit, undefined);
  const maxTokensParam = maxCompletion !== undefined ? "max_completion_tokens" : "max_tokens";
  const requested = maxCompletion ?? integerParameter(body, "max_tokens", 0, limit, undefined);
  const logprobs = booleanParameter(body, "logprobs", false);
  const topLogprobs = integerParameter(body, "top_logprobs", 0, MAX_TOP_LOGPROBS, undefined);
  if (topLogprobs !== undefined && !logprobs) {
    throw badParameter("top_logprobs", "top_logprobs needs logprobs: true.");
  }
  const messages = chatMessages(body);
  const prompt = await chatPrompt(model, messages);
  const maxTokens = resolveMaxTokens(model, prompt.promptIds.length, requested, limit, maxTokensParam);
  const outcome = await complete(model, {
    promptIds: prompt.promptIds,
    maxTokens,
    temperature: settings.temperature,
    topP: settings.topP,
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    stop: settings.stop,
    echo: false,
    ...(logprobs ? { topLogprobs: topLogprobs ?? 0 } : {}),
    signal: context.signal,
  });
  return {
    id: `chatcmpl-${context.newId()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: context.modelName,
    system_fingerprint: context.fingerprint,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: outcome.completionText, refusal: null },
        logprobs: logprobs ? { content: outcome.completionTokens.map(chatLogprob), refusal: null } : null,
        finish_reason: outcome.finishReason,
      },
    ],
    usage: usageOf(outcome),
  };
}

function chatLogprob(token: ScoredToken): ChatTokenLogprob {
  return {
    token: token.text,
    logprob: token.logprob!,
    bytes: utf8Bytes(token.text),
    top_logprobs: (token.top ?? []).map((alternative) => ({
      token: alternative.text,
      logprob: alternative.logprob,
      bytes: utf8Bytes(alternative.text),
    })),
  };
}

function utf8Bytes(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}
