import { TokenscopeError, throwIfAborted } from "@tokenscope/core";
import { runFingerprint } from "./fingerprint.ts";
import { createLocalQueue } from "./local-queue.ts";
import type { RunItemsOptions, RunOutcome, RunTask } from "./types.ts";

/** A duration for a progress message: "12 s", "3 min 05 s", "1 h 02 min"; "?" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

/** The keys of the items, refusing two items with one key (their outputs would overwrite each other). */
function itemKeys<I>(items: readonly I[], key: (item: I, index: number) => string): string[] {
  const keys = items.map((item, index) => key(item, index));
  const first = new Map<string, number>();
  keys.forEach((itemKey, index) => {
    if (typeof itemKey !== "string" || itemKey.length === 0) {
      throw new TokenscopeError("INVALID_INPUT", `The key of item ${index + 1} is not a non-empty string.`, {
        hint: "Return a stable string id from `key`, e.g. contentKey(item, index).",
        details: { index },
      });
    }
    const earlier = first.get(itemKey);
    if (earlier !== undefined) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `Items ${earlier + 1} and ${index + 1} have the same key "${itemKey}": one output would replace the other.`,
        {
          hint: "Make keys unique, e.g. with the item's index (contentKey(item, index)).",
          details: { index, earlier },
        },
      );
    }
    first.set(itemKey, index);
  });
  return keys;
}

/**
 * Runs `work` over every item that the store does not hold yet, and writes each output to the store
 * as soon as it is done, so that a run stopped at any point (an abort, a thrown error, a killed
 * process) resumes where it stopped when called again with the same store: finished items are
 * skipped, the unfinished ones run. The store is first opened with the run's settings (a store
 * holding a run with other settings refuses), and one holding finished keys that none of `items`
 * has (the input was edited) is refused too, so results of two inputs never mix.
 *
 * The items run on `options.queue`, by default the local queue in this process with
 * `options.concurrency` lanes; a queue that spreads them over machines plugs in there (see
 * `RunQueue`). The store is closed when the call ends (its outputs stay readable through the
 * outcome). Progress is reported per item (phase `"items"`), skipped items counted as
 * completed, with the rate and time left of this call's work in the message.
 * @throws TokenscopeError ABORTED when `signal` aborts; INCOMPATIBLE_RESULTS when the store holds
 *   another run; INVALID_INPUT for duplicate keys; whatever `work` threw first otherwise (items
 *   finished before it stay finished).
 */
export async function runItems<I, O>(options: RunItemsOptions<I, O>): Promise<RunOutcome<O>> {
  const started = performance.now();
  const { items, store } = options;
  const signal = options.signal ?? new AbortController().signal;
  throwIfAborted(signal);
  const keys = itemKeys(items, options.key);
  const settings = options.settings ?? null;
  await store.open({ fingerprint: runFingerprint(settings), settings });
  try {
    return await runOpened(options, keys, signal, started);
  } finally {
    await store.close?.();
  }
}

async function runOpened<I, O>(
  options: RunItemsOptions<I, O>,
  keys: string[],
  signal: AbortSignal,
  started: number,
): Promise<RunOutcome<O>> {
  const { items, store, onProgress } = options;
  const wanted = new Set(keys);
  const finished = new Set(await store.keys());
  const foreign = [...finished].filter((key) => !wanted.has(key));
  if (foreign.length > 0) {
    throw new TokenscopeError(
      "INCOMPATIBLE_RESULTS",
      `The store holds ${foreign.length.toLocaleString("en-US")} finished item${foreign.length === 1 ? "" : "s"} that this run's input does not have (e.g. key "${foreign[0]}"): the input was edited since the run began.`,
      {
        hint: "Resume with the input the run began with, or write this run to another place (a new --out-dir).",
        details: { foreign: foreign.slice(0, 10), count: foreign.length },
      },
    );
  }
  const tasks: RunTask<I>[] = [];
  keys.forEach((key, index) => {
    if (!finished.has(key)) tasks.push({ key, index, item: items[index]! });
  });
  const total = items.length;
  const skipped = total - tasks.length;
  let ran = 0;
  const report = () => {
    if (!onProgress) return;
    const completed = skipped + ran;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const parts = [`items ${completed.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`];
    if (skipped > 0) parts.push(`${skipped.toLocaleString("en-US")} done before`);
    if (ran > 0 && completed < total) {
      parts.push(`ETA ${formatDuration(((total - completed) * elapsedSeconds) / ran)}`);
    }
    onProgress({ phase: "items", completed, total, message: parts.join(" · ") });
  };
  report();
  if (tasks.length > 0) {
    const queue = options.queue ?? createLocalQueue({ concurrency: options.concurrency ?? 1 });
    await queue.process<I, O>({
      tasks,
      signal,
      work: (task, taskSignal) => options.work(task.item, task.index, taskSignal),
      done: async (task, output) => {
        await store.write(task.key, output, task.index);
        ran++;
        report();
      },
    });
  }
  const elapsedMs = performance.now() - started;
  const output = async (index: number): Promise<O> => {
    const key = keys[index];
    if (key === undefined) {
      throw new TokenscopeError("INVALID_INPUT", `There is no item ${index} (the run has ${total} items).`, {
        details: { index, total },
      });
    }
    return store.read(key);
  };
  return {
    total,
    skipped,
    ran,
    keys,
    elapsedMs,
    output,
    async *outputs() {
      for (let index = 0; index < total; index++) yield await output(index);
    },
  };
}
