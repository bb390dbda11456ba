import type { Completion, TokenLogprob } from "../endpoint/types.ts";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function isTokenList(value: unknown): value is TokenLogprob[] | null {
  if (value === null) return true;
  return (
    Array.isArray(value) &&
    value.every(
      (token) =>
        isObject(token) &&
        typeof token.token === "string" &&
        (token.logprob === null || typeof token.logprob === "number") &&
        Array.isArray(token.top) &&
        token.top.every(
          (top) => isObject(top) && typeof top.token === "string" && typeof top.logprob === "number",
        ) &&
        (token.offset === undefined || typeof token.offset === "number"),
    )
  );
}

/** True when `value` has the shape of a {@link Completion} (what a cache may hand back). */
export function isCompletion(value: unknown): value is Completion {
  return (
    isObject(value) &&
    typeof value.text === "string" &&
    isTokenList(value.tokens) &&
    isTokenList(value.promptTokens) &&
    (value.finishReason === null || typeof value.finishReason === "string") &&
    isObject(value.usage) &&
    typeof value.usage.promptTokens === "number" &&
    typeof value.usage.completionTokens === "number"
  );
}
