import { throwIfAborted } from "../errors/index.ts";

/** How long a synchronous loop may hold the event loop before it lets Ctrl-C, timers and I/O in. */
export const YIELD_INTERVAL_MS = 50;

/**
 * A place in a long synchronous loop (sampling, regression, aggregation of big tensors) where the
 * event loop may run: `if (point.due()) await point.pause();` once per outer iteration.
 */
export interface YieldPoint {
  /** True when {@link YIELD_INTERVAL_MS} (or the chosen interval) passed since the last pause. */
  due(): boolean;
  /** Lets the event loop run once, then throws `ABORTED` if the signal was aborted meanwhile. */
  pause(): Promise<void>;
}

type Schedule = (callback: () => void) => void;

// setImmediate runs after pending I/O and signals are polled; browsers have only setTimeout.
const schedule: Schedule = (() => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return typeof immediate === "function"
    ? (callback) => {
        immediate(callback);
      }
    : (callback) => {
        setTimeout(callback, 0);
      };
})();

/**
 * Lets the event loop run once (signal handlers, timers, I/O), then throws `ABORTED` if `signal`
 * was aborted: a loop that never awaits cannot see Ctrl-C, however often it checks the signal.
 */
export async function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  await new Promise<void>((resolve) => schedule(resolve));
  throwIfAborted(signal);
}

/**
 * A {@link YieldPoint} that pauses every `intervalMs` of synchronous work: cheap enough to ask on
 * every iteration of an outer loop (one clock read), and independent of how long an iteration takes.
 */
export function createYieldPoint(signal?: AbortSignal, intervalMs = YIELD_INTERVAL_MS): YieldPoint {
  let last = performance.now();
  return {
    due: () => performance.now() - last >= intervalMs,
    async pause() {
      await yieldToEventLoop(signal);
      last = performance.now();
    },
  };
}
