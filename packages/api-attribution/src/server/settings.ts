import type { LanguageModel } from "@tokenscope/core";
import { OpenAiError } from "./openai-error.ts";
import { integerParameter, numberParameter, type RequestBody, stopParameter } from "./parameters.ts";

/** Decoding settings common to both endpoints. */
export interface DecodingSettings {
  temperature: number;
  topP: number;
  seed: number | undefined;
  stop: string[];
}

/** Largest `seed` accepted (the sampler's seed is a 32-bit integer). */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * `temperature` (0 to 2, default 1 as OpenAI; 0 is greedy), `top_p` (above 0 up to 1), `seed`
 * (an integer; without one, sampling draws a fresh seed per request) and `stop`.
 */
export function decodingSettings(body: RequestBody): DecodingSettings {
  const temperature = numberParameter(body, "temperature", { minimum: 0, maximum: 2 }, 1);
  const topP = numberParameter(body, "top_p", { minimum: 0, maximum: 1, exclusiveMinimum: true }, 1);
  const seed = integerParameter(body, "seed", -(2 ** 31), MAX_SEED, undefined);
  return {
    temperature,
    topP,
    seed: seed ?? (temperature > 0 ? Math.floor(Math.random() * MAX_SEED) : undefined),
    stop: stopParameter(body),
  };
}

/**
 * The number of new tokens: `requested` when given (checked against `limit` and against the
 * context: prompt plus new tokens must fit, else a 400 `context_length_exceeded`); when absent,
 * `fallback` lowered to what fits after the prompt. A prompt that alone overflows the context is
 * always a 400.
 */
export function resolveMaxTokens(
  model: LanguageModel,
  promptLength: number,
  requested: number | undefined,
  fallback: number,
  param: string,
): number {
  const context = model.info.contextLength;
  if (promptLength > context) {
    throw new OpenAiError(
      400,
      `This model's maximum context length is ${context} tokens, but the prompt has ${promptLength} tokens. Shorten the prompt.`,
      { param: "prompt", code: "context_length_exceeded" },
    );
  }
  if (requested === undefined) return Math.max(0, Math.min(fallback, context - promptLength));
  if (promptLength + requested > context) {
    throw new OpenAiError(
      400,
      `This model's maximum context length is ${context} tokens. However, you requested ${promptLength + requested} tokens (${promptLength} in the prompt, ${requested} for the completion). Reduce the prompt or ${param}.`,
      { param, code: "context_length_exceeded" },
    );
  }
  return requested;
}
