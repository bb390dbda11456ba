import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { type HeaderLookup, retryAfterMs } from "./retry-after.ts";

/** Why one attempt failed, as the retry loop sees it. */
export type FailureKind = "status" | "timeout" | "connection" | "malformed" | "other";

/** HTTP statuses that are retried: timeouts, conflicts, rate limits and server errors but 501. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 409 || status === 429 || (status >= 500 && status !== 501 && status !== 505)
  );
}

/** A response that came back whole but is not what the API promises (e.g. no `choices`). */
export class MalformedResponseError extends Error {
  override readonly name = "MalformedResponseError";
}

/** One failed attempt, classified. Its messages are not yet redacted: see `errors.ts`. */
export class AttemptFailure extends Error {
  override readonly name = "AttemptFailure";
  constructor(
    readonly kind: FailureKind,
    readonly retryable: boolean,
    message: string,
    readonly details: {
      /** The HTTP status, for `kind: "status"`. */
      status?: number;
      /** The server's own message (the body's `error.message`), when it gave one. */
      serverMessage?: string;
      /** How long the server asked us to wait (Retry-After), in milliseconds. */
      retryAfterMs?: number;
      /** The error that was thrown. */
      original?: unknown;
    } = {},
  ) {
    super(message);
  }
}

const connectionWords =
  /ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|other side closed|terminated|fetch failed|network|UND_ERR/i;

/**
 * Classifies what an attempt threw: an HTTP error status (retried per {@link isRetryableStatus},
 * with the server's Retry-After), a timeout (`timedOut`: the request's own timer fired), a dropped
 * or refused connection, a malformed body (truncated JSON, no `choices`), or anything else (not
 * retried). Cancellation by the caller is handled before this is called.
 */
export function classifyFailure(
  error: unknown,
  timedOut: boolean,
  nowMs: number = Date.now(),
): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (timedOut || error instanceof APIConnectionTimeoutError) {
    return new AttemptFailure("timeout", true, "the request timed out", { original: error });
  }
  if (error instanceof APIUserAbortError) {
    return new AttemptFailure("other", false, "the request was aborted", { original: error });
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    const serverMessage = serverMessageOf(error);
    const retryAfter = retryAfterMs(error.headers as HeaderLookup | undefined, nowMs);
    return new AttemptFailure(
      "status",
      isRetryableStatus(status),
      `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ""}`,
      {
        status,
        ...(serverMessage ? { serverMessage } : {}),
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        original: error,
      },
    );
  }
  if (error instanceof APIConnectionError) {
    const cause = describeCause((error as { cause?: unknown }).cause);
    return new AttemptFailure("connection", true, `the connection failed${cause ? ` (${cause})` : ""}`, {
      original: error,
    });
  }
  if (error instanceof SyntaxError || error instanceof MalformedResponseError) {
    return new AttemptFailure("malformed", true, `the response was malformed (${error.message})`, {
      original: error,
    });
  }
  if (error instanceof Error) {
    const text = `${error.message} ${describeCause((error as { cause?: unknown }).cause)}`;
    if (error.name === "AbortError" || error.name === "TimeoutError") {
      return new AttemptFailure("timeout", true, "the request timed out", { original: error });
    }
    if (error instanceof TypeError || connectionWords.test(text)) {
      return new AttemptFailure("connection", true, `the connection failed (${text.trim()})`, {
        original: error,
      });
    }
    return new AttemptFailure("other", false, error.message, { original: error });
  }
  return new AttemptFailure("other", false, String(error), { original: error });
}

function serverMessageOf(error: APIError): string | undefined {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === "string" && body.message !== "") return body.message;
  if (body && typeof body === "object" && Object.keys(body).length > 0) return JSON.stringify(body);
  // openai's own message is "<status> <text>" or "<status> status code (no body)".
  const own = error.message.replace(/^\d{3}\s*/, "");
  return own === "" || own === "status code (no body)" ? undefined : own;
}

function describeCause(cause: unknown): string {
  if (!cause) return "";
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const inner = describeCause((cause as { cause?: unknown }).cause);
    return [typeof code === "string" ? code : "", cause.message, inner]
      .filter((part) => part !== "")
      .join(": ");
  }
  return String(cause);
}
