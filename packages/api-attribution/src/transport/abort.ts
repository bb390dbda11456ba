import { TokenscopeError } from "@tokenscope/core";

/** The `ABORTED` error for a cancelled call (the signal's reason kept as the cause). */
export function abortedError(signal: AbortSignal | undefined): TokenscopeError {
  return new TokenscopeError("ABORTED", "The request was cancelled.", {
    cause: signal?.reason,
    details: { reason: String(signal?.reason ?? "aborted") },
  });
}

/** Waits `ms` milliseconds; rejects with `ABORTED` as soon as `signal` fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A signal for one request: fires when the caller's signal does or when the timeout passes. */
export interface RequestSignal {
  readonly signal: AbortSignal;
  /** True when it fired because the timeout passed (not because the caller cancelled). */
  timedOut(): boolean;
  /** Clears the timer and the listener on the caller's signal; call when the request is done. */
  dispose(): void;
}

/**
 * Combines the caller's signal (optional) with a per-request timeout of `timeoutMs` milliseconds
 * (no timeout when it is not finite or not positive). Unlike `AbortSignal.any`, it says which of
 * the two fired, so that a timeout is retried and a cancellation is not.
 */
export function requestSignal(parent: AbortSignal | undefined, timeoutMs: number): RequestSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer =
    Number.isFinite(timeoutMs) && timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => timedOut && !parent?.aborted,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}
