import type { ProgressCallback } from "@tokenscope/core";

/*
 * The contracts of a resumable dataset run: where finished outputs are kept (RunStore) and who does
 * the work (RunQueue). The runner (run-items.ts) talks to these two only, so a command never knows
 * whether its items run in this process or on a queue shared by several machines.
 */

/** What identifies a run's settings: a JSON value (model, method, options) and its fingerprint. */
export interface RunIdentity {
  /** A short stable hash of {@link RunIdentity.settings} (see `runFingerprint`). */
  fingerprint: string;
  /** The settings themselves, as JSON: kept beside the outputs so that a refusal can say what differs. */
  settings: unknown;
}

/**
 * Where a run keeps the output of each finished item, by the item's key. Writes are atomic: a key is
 * finished once {@link RunStore.write} has resolved, and never half-written; whatever was not written
 * (a crash, a kill, an abort) is simply not finished and is run again. The embedded stores are
 * `createMemoryRunStore` (here) and `createFileRunStore` (`@tokenscope/eval/node`: one file per
 * item plus an `index.json`); a store shared by several machines (a database, object storage)
 * implements the same five calls.
 */
export interface RunStore<O> {
  /**
   * Binds the store to a run before anything else is asked of it. A store that already holds a run
   * with another fingerprint refuses (`INCOMPATIBLE_RESULTS`, saying which settings differ), so that
   * resuming with other options can never mix results of two runs.
   */
  open(identity: RunIdentity): Promise<void>;
  /** True when `key` is finished. */
  has(key: string): Promise<boolean>;
  /** The output of a finished key. @throws TokenscopeError INVALID_INPUT for a key that is not finished. */
  read(key: string): Promise<O>;
  /** Stores the output of item `index` under `key`, atomically; it counts as finished once this resolves. */
  write(key: string, output: O, index: number): Promise<void>;
  /** Every finished key, in the order of their items' indices. */
  keys(): Promise<string[]>;
  /** Releases what {@link RunStore.open} took (a lock, a connection); the outputs stay. */
  close?(): Promise<void>;
}

/** One item to run: its stable key, its position in the input, and the item itself. */
export interface RunTask<I> {
  key: string;
  index: number;
  item: I;
}

/** What a {@link RunQueue} is asked to do: run every task, reporting each output as it is done. */
export interface RunJob<I, O> {
  /** The unfinished items, in input order. */
  tasks: readonly RunTask<I>[];
  /** Computes one output. A queue whose workers live elsewhere runs this there (see {@link RunQueue}). */
  work(task: RunTask<I>, signal: AbortSignal): Promise<O>;
  /**
   * Records one output (the runner writes it to the store and reports progress). The queue awaits it
   * before it counts the task done; a task whose `done` did not resolve is unfinished.
   */
  done(task: RunTask<I>, output: O): Promise<void>;
  /** Stops the run: no new task starts, running ones get an aborted signal. */
  signal: AbortSignal;
}

/**
 * Who runs the tasks of a run. `createLocalQueue` is the embedded default: the tasks run in this
 * process, `concurrency` at a time; on the first failure no new task starts, the running ones finish
 * (their outputs are kept), and `process` rejects with that failure.
 *
 * A distributed queue (BullMQ on Redis, pg-boss on Postgres) plugs in behind the same interface
 * without any change to the commands: its `process` adds one job per task with the task's key as the
 * job id (re-adding a key that is already queued or done is a no-op, so a resumed or repeated run is
 * idempotent), and resolves once every job has completed, calling `done` with each job's return
 * value as its completion event arrives (so the runner's store, progress and resumption work as they
 * do locally). The workers are the same command started on other machines in a worker role: each
 * builds the same `work` function (same settings, its own model) and takes jobs from the queue; the
 * queue's retries redo a job whose worker died. `signal` removes the waiting jobs. The store may stay
 * local (outputs travel back as return values) or be shared (workers write it, `done` only reads).
 */
export interface RunQueue {
  process<I, O>(job: RunJob<I, O>): Promise<void>;
}

/** Options of `runItems`. */
export interface RunItemsOptions<I, O> {
  /** Every item of the run, finished ones included: they are skipped. */
  items: readonly I[];
  /**
   * The stable id of an item: the same item at the same position must get the same key in every
   * run (e.g. `contentKey(item, index)`: its index and a hash of its content). Keys must be unique.
   */
  key(item: I, index: number): string;
  /** Computes the output of one item; stops promptly when `signal` aborts. */
  work(item: I, index: number, signal: AbortSignal): Promise<O>;
  /** Where outputs are kept and where finished ones are found. */
  store: RunStore<O>;
  /**
   * The run's settings as JSON (everything that changes an output: model, method, options). A store
   * holding a run with other settings is refused. Default `null` (no settings).
   */
  settings?: unknown;
  /** Cancels the run: running items are aborted, finished ones stay in the store. */
  signal?: AbortSignal;
  /**
   * Progress in items (phase `"items"`): `completed` counts the skipped items too, `total` every
   * item, and `message` says how many were skipped, the rate and the time left of this session's work.
   */
  onProgress?: ProgressCallback;
  /** Items run at once by the default local queue (default 1). Ignored when `queue` is given. */
  concurrency?: number;
  /** Who runs the items (default: `createLocalQueue({ concurrency })`, in this process). */
  queue?: RunQueue;
}

/** What `runItems` did, and the way to every output (finished before or now), in item order. */
export interface RunOutcome<O> {
  /** Every item. */
  total: number;
  /** Items already finished in the store, not run again. */
  skipped: number;
  /** Items run by this call. */
  ran: number;
  /** The key of each item, in item order. */
  keys: readonly string[];
  /** Wall time of this call, in milliseconds. */
  elapsedMs: number;
  /** The output of item `index`, read from the store. */
  output(index: number): Promise<O>;
  /** Every output, in item order, read from the store one at a time. */
  outputs(): AsyncGenerator<O, void, undefined>;
}
