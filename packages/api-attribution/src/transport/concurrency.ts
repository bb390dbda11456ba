import { TokenscopeError } from "@tokenscope/core";
import { abortedError } from "./abort.ts";

/** Default number of requests in flight at once. */
export const defaultConcurrency = 8;

/** Lets at most `limit` tasks run at once; the others wait in order of arrival. */
export interface ConcurrencyLimiter {
  /** Runs `task` once a slot is free; waiting ends with `ABORTED` when `signal` fires. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
}

/**
 * A first-in first-out limiter of tasks in flight (a counting semaphore).
 * @throws TokenscopeError INVALID_INPUT when `limit` is not a positive integer.
 */
export function createConcurrencyLimiter(limit: number = defaultConcurrency): ConcurrencyLimiter {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `The concurrency limit must be a positive integer, not ${limit}.`,
      {
        details: { concurrency: limit },
      },
    );
  }
  let active = 0;
  const queue: Array<{ start: () => void }> = [];

  const release = () => {
    active--;
    const next = queue.shift();
    if (next) next.start();
  };

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (active < limit) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          active++;
          resolve();
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(entry);
        if (index >= 0) queue.splice(index, 1);
        reject(abortedError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(entry);
    });
  };

  return {
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
