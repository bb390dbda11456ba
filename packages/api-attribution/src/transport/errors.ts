import { TokenscopeError } from "@tokenscope/core";
import type { AttemptFailure } from "./classify.ts";
import type { Redactor } from "./redact.ts";

/** What the final error names besides the failure itself. */
export interface FailureContext {
  /** Attempts made (1 + retries). */
  attempts: number;
  /** The endpoint's address, without credentials. */
  baseUrl: string;
  model: string;
  /** The per-request timeout, for the message of a timeout. */
  timeoutMs: number;
  /** The environment variable the key came from (its name only). */
  apiKeyEnv?: string;
  redact: Redactor;
}

/**
 * The error a request ends with once retries are over or not allowed: RATE_LIMITED for HTTP
 * 429, API_ERROR otherwise, naming the address, the HTTP status and the server's message. Every
 * text is redacted and the cause is a copy of the original error with a redacted message only,
 * so that neither the message nor the cause chain (headers, bodies) can carry the API key.
 */
export function failureError(failure: AttemptFailure, context: FailureContext): TokenscopeError {
  const { redact } = context;
  const status = failure.details.status;
  const serverMessage = failure.details.serverMessage ? redact(failure.details.serverMessage) : undefined;
  const after = context.attempts > 1 ? ` after ${context.attempts} attempts` : "";
  const where = `The API at ${context.baseUrl} (model ${context.model})`;
  const original = failure.details.original;
  const cause = new Error(redact(original instanceof Error ? original.message : failure.message));
  if (original instanceof Error) cause.name = original.name;
  const details = {
    kind: failure.kind,
    attempts: context.attempts,
    baseUrl: context.baseUrl,
    model: context.model,
    ...(status !== undefined ? { status } : {}),
    ...(serverMessage !== undefined ? { serverMessage } : {}),
  };
  if (status === 429) {
    return new TokenscopeError(
      "RATE_LIMITED",
      `${where} refused the request because of its rate limit (HTTP 429${serverMessage ? `: ${serverMessage}` : ""})${after}.`,
      { hint: "Lower the concurrency, wait a while, or allow more retries (maxRetries).", details, cause },
    );
  }
  if (failure.kind === "status") {
    return new TokenscopeError(
      "API_ERROR",
      `${where} answered HTTP ${status}${serverMessage ? `: ${serverMessage}` : ""}${after}.`,
      { hint: hintForStatus(status ?? 0, context.apiKeyEnv), details, cause },
    );
  }
  if (failure.kind === "timeout") {
    return new TokenscopeError(
      "API_ERROR",
      `${where} gave no answer within ${context.timeoutMs} ms${after}.`,
      {
        hint: "Raise the timeout (timeoutMs), ask for fewer new tokens, or check that the server is up.",
        details,
        cause,
      },
    );
  }
  if (failure.kind === "connection") {
    return new TokenscopeError(
      "API_ERROR",
      `Could not reach the API at ${context.baseUrl}: ${redact(failure.message)}${after}.`,
      { hint: "Check the base URL and that the server is running and reachable.", details, cause },
    );
  }
  if (failure.kind === "malformed") {
    return new TokenscopeError(
      "API_ERROR",
      `${where} sent a malformed answer: ${redact(failure.message)}${after}.`,
      {
        hint: "Check that the base URL points at an OpenAI-compatible API (it usually ends in /v1).",
        details,
        cause,
      },
    );
  }
  return new TokenscopeError(
    "API_ERROR",
    `A request to the API at ${context.baseUrl} failed: ${redact(failure.message)}.`,
    {
      details,
      cause,
    },
  );
}

function hintForStatus(status: number, apiKeyEnv: string | undefined): string {
  const keyName = apiKeyEnv ?? "OPENAI_API_KEY";
  if (status === 401) return `Check the API key in the environment variable ${keyName}.`;
  if (status === 403) return `Check that the key in ${keyName} may use this model.`;
  if (status === 404) return "Check the base URL (it usually ends in /v1) and the model name.";
  if (status === 400 || status === 422)
    return "The server refused a parameter; check what it supports with the endpoint's capabilities().";
  if (status >= 500) return "The server failed; try again later, or allow more retries (maxRetries).";
  return "See the server's message.";
}
