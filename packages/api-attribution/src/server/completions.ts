import type { LanguageModel } from "@tokenscope/core";
import { type CompletionOutcome, complete, type ScoredToken } from "./complete.ts";
import { booleanParameter, integerParameter, type RequestBody, refuseUnsupported } from "./parameters.ts";
import { completionPromptIds } from "./prompts.ts";
import { decodingSettings, resolveMaxTokens } from "./settings.ts";

/** Most alternatives per position `logprobs` / `top_logprobs` may ask for (as OpenAI). */
export const MAX_TOP_LOGPROBS = 20;

/** `max_tokens` of `/v1/completions` when absent (as OpenAI's legacy endpoint). */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

/** The legacy `logprobs` object of a completion choice. */
export interface CompletionLogprobs {
  tokens: string[];
  /** null for a first prompt token, which has nothing before it. */
  token_logprobs: (number | null)[];
  /** Per token: the most likely tokens by text, and the token itself; null where token_logprobs is. */
  top_logprobs: (Record<string, number> | null)[];
  /** Per token: where it starts in the choice's text (UTF-16 code units). */
  text_offset: number[];
}

/** Token counts of a response. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The body of a `/v1/completions` answer. */
export interface CompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint: string;
  choices: [
    {
      index: 0;
      text: string;
      logprobs: CompletionLogprobs | null;
      finish_reason: "stop" | "length";
    },
  ];
  usage: Usage;
}

/** What a handler is given besides the request body. */
export interface HandlerContext {
  model: LanguageModel;
  modelName: string;
  /** Most new tokens one request may ask for. */
  maxTokensLimit: number;
  signal: AbortSignal;
  /** A fresh response id. */
  newId: () => string;
  fingerprint: string;
}

/**
 * `/v1/completions`: one completion of one prompt. `echo` puts the prompt tokens (without BOS, see
 * {@link complete}) in front of the text and of the log-probabilities; with `max_tokens: 0` that
 * is pure scoring. `logprobs: k` (0–20) gives per token its log-probability and the k most likely
 * tokens by text plus the token itself (as OpenAI: up to k + 1 entries; two tokens with the same
 * text keep the more likely).
 */
export async function createCompletion(
  body: RequestBody,
  context: HandlerContext,
): Promise<CompletionResponse> {
  refuseUnsupported(body, ["suffix"]);
  const { model } = context;
  const settings = decodingSettings(body);
  const requested = integerParameter(body, "max_tokens", 0, context.maxTokensLimit, undefined);
  const logprobs = integerParameter(body, "logprobs", 0, MAX_TOP_LOGPROBS, undefined);
  const echo = booleanParameter(body, "echo", false);
  const promptIds = await completionPromptIds(model, body);
  const maxTokens = resolveMaxTokens(
    model,
    promptIds.length,
    requested,
    Math.min(DEFAULT_COMPLETION_MAX_TOKENS, context.maxTokensLimit),
    "max_tokens",
  );
  const outcome = await complete(model, {
    promptIds,
    maxTokens,
    temperature: settings.temperature,
    topP: settings.topP,
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    stop: settings.stop,
    echo,
    ...(logprobs !== undefined ? { topLogprobs: logprobs } : {}),
    signal: context.signal,
  });
  const tokens = [...outcome.promptTokens, ...outcome.completionTokens];
  return {
    id: `cmpl-${context.newId()}`,
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: context.modelName,
    system_fingerprint: context.fingerprint,
    choices: [
      {
        index: 0,
        text: outcome.promptText + outcome.completionText,
        logprobs: logprobs === undefined ? null : legacyLogprobs(tokens),
        finish_reason: outcome.finishReason,
      },
    ],
    usage: usageOf(outcome),
  };
}

/** The usage block of an outcome. */
export function usageOf(outcome: CompletionOutcome): Usage {
  return {
    prompt_tokens: outcome.promptTokenCount,
    completion_tokens: outcome.completionTokenCount,
    total_tokens: outcome.promptTokenCount + outcome.completionTokenCount,
  };
}

function legacyLogprobs(tokens: ScoredToken[]): CompletionLogprobs {
  const result: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = 0;
  for (const token of tokens) {
    result.tokens.push(token.text);
    result.token_logprobs.push(token.logprob);
    result.text_offset.push(offset);
    offset += token.text.length;
    if (token.top === null || token.logprob === null) {
      result.top_logprobs.push(null);
      continue;
    }
    // No prototype: a token spelled "__proto__" is a key like any other.
    const top: Record<string, number> = Object.create(null);
    for (const alternative of token.top)
      if (!Object.hasOwn(top, alternative.text)) top[alternative.text] = alternative.logprob;
    if (!Object.hasOwn(top, token.text)) top[token.text] = token.logprob;
    result.top_logprobs.push(top);
  }
  return result;
}
