import type { ErrorCode } from "./codes.ts";

/** Options of a {@link TokenscopeError}. */
export interface TokenscopeErrorOptions {
  /** What the user can do about it, shown after the message. */
  hint?: string;
  /** Machine-readable context (ids, field paths, sizes). */
  details?: Record<string, unknown>;
  /** The underlying error, when this one wraps another. */
  cause?: unknown;
}

/**
 * The one error type tokenscope throws on purpose. `code` is stable (see
 * `errorCodes`); `message` says what was wrong and `hint` what to do.
 */
export class TokenscopeError extends Error {
  override readonly name = "TokenscopeError";
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: TokenscopeErrorOptions = {}) {
    super(options.hint ? `${message} ${options.hint}` : message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link TokenscopeError}, optionally with the given code. */
export function isTokenscopeError(error: unknown, code?: ErrorCode): error is TokenscopeError {
  return error instanceof TokenscopeError && (code === undefined || error.code === code);
}

/** Throws an `ABORTED` error when the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new TokenscopeError("ABORTED", "The run was cancelled.", {
      cause: signal.reason,
      details: { reason: String(signal.reason) },
    });
  }
}
