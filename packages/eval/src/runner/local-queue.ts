import { TokenscopeError, throwIfAborted } from "@tokenscope/core";
import type { RunJob, RunQueue, RunTask } from "./types.ts";

/** Options of {@link createLocalQueue}. */
export interface LocalQueueOptions {
  /** Tasks run at once (default 1): a positive integer. */
  concurrency?: number;
}

/**
 * The embedded {@link RunQueue}: runs the tasks in this process, in input order, `concurrency` at a
 * time. On the first failure no new task starts, the running ones finish (their outputs are passed to
 * `done` and so kept), and `process` rejects with that failure. When the job's signal aborts, running
 * tasks see it through their own signal, and `process` rejects with `ABORTED` once they have settled.
 * @throws TokenscopeError INVALID_INPUT for a concurrency that is not a positive integer.
 */
export function createLocalQueue(options: LocalQueueOptions = {}): RunQueue {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `concurrency must be a positive integer, got ${concurrency}.`,
      {
        hint: "Give 1 (one item at a time) or more.",
        details: { concurrency },
      },
    );
  }
  return {
    async process<I, O>(job: RunJob<I, O>): Promise<void> {
      const { tasks, signal } = job;
      throwIfAborted(signal);
      let next = 0;
      let failure: { error: unknown } | undefined;
      const runOne = async (task: RunTask<I>) => {
        const output = await job.work(task, signal);
        await job.done(task, output);
      };
      const lane = async () => {
        while (!failure && !signal.aborted && next < tasks.length) {
          const task = tasks[next++]!;
          try {
            await runOne(task);
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
      // An abort wins over the errors it caused (each aborted task rejects with its own ABORTED).
      throwIfAborted(signal);
      if (failure) throw failure.error;
    },
  };
}
