import { type BackoffOptions, backoffDelayMs } from "./backoff.ts";
import { AttemptFailure } from "./classify.ts";

/** Default number of retries after the first attempt. */
export const defaultMaxRetries = 6;
/** Default cap on a server's Retry-After, in milliseconds. */
export const defaultMaxRetryAfterMs = 60_000;

/** What a retry hook is told before the wait. */
export interface RetryEvent {
  /** The retry about to be made: 1 for the first. */
  retry: number;
  /** How long it waits first, in milliseconds. */
  delayMs: number;
  /** Why the attempt failed (HTTP status, timeout, dropped connection, malformed body). */
  failure: AttemptFailure;
}

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Retries after the first attempt (default 6); 0 sends each request once. */
  maxRetries?: number;
  /** Backoff between attempts (exponential with full jitter). */
  backoff?: BackoffOptions;
  /** A server's Retry-After is honoured up to this many milliseconds (default 60 000). */
  maxRetryAfterMs?: number;
  /** Waits between attempts; injectable so that tests need not wait. Must reject when `signal` fires. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ends the waiting (and, through `attempt`, the request in flight). */
  signal?: AbortSignal;
  /** Told of every retry (progress, logs). */
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Runs `attempt` (given its index, 0 first) until it succeeds, retrying when it throws a retryable
 * {@link AttemptFailure}: after the server's Retry-After (capped) when it gave one, otherwise after
 * exponential backoff with full jitter. Any other error ends the loop at once. When retries are
 * spent or not allowed, `giveUp` makes the error thrown from the last failure.
 */
export async function withRetries<T>(
  attempt: (index: number) => Promise<T>,
  options: RetryOptions,
  giveUp: (failure: AttemptFailure, attempts: number) => Error,
): Promise<T> {
  const maxRetries = options.maxRetries ?? defaultMaxRetries;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? defaultMaxRetryAfterMs;
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      if (!error.retryable || index >= maxRetries) throw giveUp(error, index + 1);
      const retryAfter = error.details.retryAfterMs;
      const delayMs =
        retryAfter !== undefined
          ? Math.min(retryAfter, maxRetryAfterMs)
          : backoffDelayMs(index, options.backoff);
      options.onRetry?.({ retry: index + 1, delayMs, failure: error });
      await options.sleep(delayMs, options.signal);
    }
  }
}
