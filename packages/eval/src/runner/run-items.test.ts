import { isTokenscopeError, type ProgressEvent, TokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentKey, runFingerprint } from "./fingerprint.ts";
import { createLocalQueue } from "./local-queue.ts";
import { createMemoryRunStore } from "./memory-run-store.ts";
import { runItems } from "./run-items.ts";
import type { RunQueue, RunStore } from "./types.ts";

const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
const upper = async (word: string) => word.toUpperCase();

function run(
  store: RunStore<string>,
  work: (word: string, index: number, signal: AbortSignal) => Promise<string>,
  extra = {},
) {
  return runItems({ items: words, key: contentKey, work, store, settings: { case: "upper" }, ...extra });
}

describe("runItems", () => {
  it("runs every item, writes each output, and reads them back in item order", async () => {
    const store = createMemoryRunStore<string>();
    const outcome = await run(store, upper);
    expect(outcome).toMatchObject({ total: 6, skipped: 0, ran: 6 });
    const outputs: string[] = [];
    for await (const output of outcome.outputs()) outputs.push(output);
    expect(outputs).toEqual(words.map((word) => word.toUpperCase()));
    expect(await store.keys()).toEqual(words.map((word, index) => contentKey(word, index)));
    await expect(outcome.output(9)).rejects.toThrow("no item 9");
  });

  it("skips finished items and resumes after a thrown error", async () => {
    const store = createMemoryRunStore<string>();
    const calls: number[] = [];
    const failing = async (word: string, index: number) => {
      calls.push(index);
      if (index === 3) throw new Error("model crashed");
      return word.toUpperCase();
    };
    await expect(run(store, failing)).rejects.toThrow("model crashed");
    expect(await store.keys()).toHaveLength(3);
    calls.length = 0;
    const outcome = await run(store, async (word, index) => {
      calls.push(index);
      return word.toUpperCase();
    });
    expect(calls).toEqual([3, 4, 5]);
    expect(outcome).toMatchObject({ skipped: 3, ran: 3 });
    expect(await outcome.output(4)).toBe("EPSILON");
    // A third run has nothing left to do.
    const again = await run(store, async () => {
      throw new Error("not called");
    });
    expect(again).toMatchObject({ skipped: 6, ran: 0 });
  });

  it("stops when the signal aborts, keeps what finished, and resumes the rest", async () => {
    const store = createMemoryRunStore<string>();
    const controller = new AbortController();
    const work = async (word: string, index: number, signal: AbortSignal) => {
      if (index === 2) {
        controller.abort(new Error("Ctrl-C"));
        signal.throwIfAborted();
      }
      return word.toUpperCase();
    };
    const error = await run(store, work, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(isTokenscopeError(error, "ABORTED")).toBe(true);
    expect(await store.keys()).toEqual([contentKey("alpha", 0), contentKey("beta", 1)]);
    const outcome = await run(store, upper);
    expect(outcome).toMatchObject({ skipped: 2, ran: 4 });
  });

  it("an already-aborted signal runs nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(run(createMemoryRunStore(), upper, { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("runs `concurrency` items at once, and keeps the index in item order whatever order they finish in", async () => {
    const store = createMemoryRunStore<string>();
    let running = 0;
    let most = 0;
    const finishOrder: number[] = [];
    // Later items finish first.
    const work = async (word: string, index: number) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (words.length - index) * 5));
      running--;
      finishOrder.push(index);
      return word.toUpperCase();
    };
    await run(store, work, { concurrency: 3 });
    expect(most).toBe(3);
    expect(finishOrder).not.toEqual([0, 1, 2, 3, 4, 5]);
    expect(await store.keys()).toEqual(words.map((word, index) => contentKey(word, index)));
  });

  it("with concurrency, a failure starts no new item but keeps the running ones' outputs", async () => {
    const store = createMemoryRunStore<string>();
    const started: number[] = [];
    const work = async (word: string, index: number) => {
      started.push(index);
      if (index === 0) throw new Error("first fails");
      await new Promise((resolve) => setTimeout(resolve, 10));
      return word;
    };
    await expect(run(store, work, { concurrency: 2 })).rejects.toThrow("first fails");
    // Item 0 failed at once while the other lane ran item 1: that one finished and was kept, and no
    // lane took another item.
    expect(started).toEqual([0, 1]);
    expect(await store.keys()).toEqual([contentKey("beta", 1)]);
  });

  it("reports progress with skipped items counted, and an ETA", async () => {
    const store = createMemoryRunStore<string>();
    await runItems({
      items: words.slice(0, 2),
      key: contentKey,
      work: upper,
      store,
      settings: { case: "upper" },
    });
    const events: ProgressEvent[] = [];
    await run(
      store,
      async (word) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return word.toUpperCase();
      },
      { onProgress: (event: ProgressEvent) => events.push(event) },
    );
    expect(events.map((event) => event.completed)).toEqual([2, 3, 4, 5, 6]);
    expect(events.every((event) => event.total === 6 && event.phase === "items")).toBe(true);
    expect(events[0]!.message).toBe("items 2/6 · 2 done before");
    expect(events[1]!.message).toMatch(/^items 3\/6 · 2 done before · ETA \d+ s$/);
    expect(events.at(-1)!.message).toBe("items 6/6 · 2 done before");
  });

  it("refuses a store holding a run with other settings, naming what differs", async () => {
    const store = createMemoryRunStore<string>();
    await run(store, upper);
    const error = await runItems({
      items: words,
      key: contentKey,
      work: upper,
      store,
      settings: { case: "lower" },
    }).catch((caught: unknown) => caught);
    expect(isTokenscopeError(error, "INCOMPATIBLE_RESULTS")).toBe(true);
    expect((error as TokenscopeError).message).toContain('case ("upper" there, "lower" now)');
    // The same settings written in another key order are the same run.
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    expect(runFingerprint({ a: 1, b: 2 })).toBe(runFingerprint({ b: 2, a: 1 }));
    expect(runFingerprint({ a: 1 })).not.toBe(runFingerprint({ a: 2 }));
  });

  it("refuses a store holding finished items the input no longer has (an edited input)", async () => {
    const store = createMemoryRunStore<string>();
    await run(store, upper);
    const edited = [...words];
    edited[2] = "GAMMA, edited";
    await expect(
      runItems({ items: edited, key: contentKey, work: upper, store, settings: { case: "upper" } }),
    ).rejects.toMatchObject({ code: "INCOMPATIBLE_RESULTS", message: expect.stringContaining("edited") });
    // Items added at the end are a longer run over the same input: allowed.
    const longer = await runItems({
      items: [...words, "eta"],
      key: contentKey,
      work: upper,
      store,
      settings: { case: "upper" },
    });
    expect(longer).toMatchObject({ skipped: 6, ran: 1 });
  });

  it("refuses duplicate keys and a bad concurrency before any work", async () => {
    await expect(
      runItems({ items: words, key: () => "same", work: upper, store: createMemoryRunStore() }),
    ).rejects.toThrow('Items 1 and 2 have the same key "same"');
    expect(() => createLocalQueue({ concurrency: 0 })).toThrow("positive integer");
  });

  it("runs on any RunQueue: the runner only hands it tasks and records what it reports done", async () => {
    const handed: string[] = [];
    // A stand-in for a distributed queue: it runs the tasks in reverse, as remote workers might.
    const queue: RunQueue = {
      async process(job) {
        for (const task of [...job.tasks].reverse()) {
          handed.push(task.key);
          await job.done(task, await job.work(task, job.signal));
        }
      },
    };
    const store = createMemoryRunStore<string>();
    const outcome = await run(store, upper, { queue });
    expect(handed).toEqual(words.map((word, index) => contentKey(word, index)).reverse());
    expect(outcome.ran).toBe(6);
    expect(await store.keys()).toEqual(words.map((word, index) => contentKey(word, index)));
  });

  it("contentKey tells the same content at another position, and other content, apart", () => {
    expect(contentKey("a", 0)).toBe(contentKey("a", 0));
    expect(contentKey("a", 1)).not.toBe(contentKey("a", 0));
    expect(contentKey("b", 0)).not.toBe(contentKey("a", 0));
    expect(contentKey({ prompt: "a", target: "b" }, 0)).toBe(contentKey({ target: "b", prompt: "a" }, 0));
    expect(() => runFingerprint({ bad: Number.NaN })).toThrow(TokenscopeError);
  });
});
