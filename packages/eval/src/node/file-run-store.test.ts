import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contentKey } from "../runner/fingerprint.ts";
import { runItems } from "../runner/run-items.ts";
import { createFileRunStore, RUN_INDEX_FILE, RUN_LOCK_FILE, type RunIndex } from "./file-run-store.ts";

const scratch = mkdtempSync(join(tmpdir(), "tokenscope-file-run-store-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const newDir = () => join(scratch, `run-${folders++}`);

const words = ["alpha", "beta", "gamma", "delta"];
const codec = {
  serialize: (output: { word: string }) => JSON.stringify(output),
  deserialize: (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as { word: string },
};

function runIn(
  dir: string,
  work: (word: string, index: number) => Promise<{ word: string }>,
  settings: unknown = { v: 1 },
) {
  return runItems({ items: words, key: contentKey, work, store: createFileRunStore(dir, codec), settings });
}
const upper = async (word: string) => ({ word: word.toUpperCase() });
const readIndex = (dir: string) => JSON.parse(readFileSync(join(dir, RUN_INDEX_FILE), "utf8")) as RunIndex;

describe("createFileRunStore", () => {
  it("writes one file per item and an index of the finished items, their files and the settings", async () => {
    const dir = newDir();
    const outcome = await runIn(dir, upper);
    expect(readdirSync(dir).sort()).toEqual([
      "index.json",
      "item-00001.json",
      "item-00002.json",
      "item-00003.json",
      "item-00004.json",
    ]);
    expect(JSON.parse(readFileSync(join(dir, "item-00003.json"), "utf8"))).toEqual({ word: "GAMMA" });
    const index = readIndex(dir);
    expect(index).toMatchObject({ format: "tokenscope-run", version: 1, settings: { v: 1 } });
    expect(index.items).toEqual(
      words.map((word, at) => ({ index: at, key: contentKey(word, at), file: `item-0000${at + 1}.json` })),
    );
    expect(await outcome.output(1)).toEqual({ word: "BETA" });
  });

  it("resumes after a crash: finished items are skipped, and the index is rewritten after each item", async () => {
    const dir = newDir();
    const seen: number[] = [];
    await expect(
      runIn(dir, async (word, index) => {
        if (index === 2) throw new Error("crash");
        // The index lists every earlier item when the next one starts.
        seen.push(readIndex(dir).items.length);
        return { word };
      }),
    ).rejects.toThrow("crash");
    expect(seen).toEqual([0, 1]);
    expect(readIndex(dir).items.map((item) => item.index)).toEqual([0, 1]);
    const ran: number[] = [];
    const outcome = await runIn(dir, async (word, index) => {
      ran.push(index);
      return { word };
    });
    expect(ran).toEqual([2, 3]);
    expect(outcome).toMatchObject({ skipped: 2, ran: 2 });
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it("refuses a folder holding a run with other settings, and says what differs", async () => {
    const dir = newDir();
    await runIn(dir, upper, { method: "saliency", steps: 3 });
    const before = readFileSync(join(dir, RUN_INDEX_FILE), "utf8");
    await expect(runIn(dir, upper, { method: "occlusion", steps: 3 })).rejects.toMatchObject({
      code: "INCOMPATIBLE_RESULTS",
      message: expect.stringContaining('method ("saliency" there, "occlusion" now)'),
      hint: expect.stringContaining("--out-dir"),
    });
    // Nothing was touched, and the lock was given back.
    expect(readFileSync(join(dir, RUN_INDEX_FILE), "utf8")).toBe(before);
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it("never writes into a folder of other files, nor to a path that is a file", async () => {
    const dir = newDir();
    const other = join(dir, "notes.txt");
    mkdirSync(dir);
    writeFileSync(other, "mine");
    await expect(runIn(dir, upper)).rejects.toThrow("holds 1 file (e.g. notes.txt) but no run (index.json)");
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
    await expect(runIn(other, upper)).rejects.toThrow("is not a folder");
    expect(readFileSync(other, "utf8")).toBe("mine");
  });

  it("removes temporary files a killed writer left, takes over its lock, and forgets items whose file is gone", async () => {
    const dir = newDir();
    await runIn(dir, upper);
    // A process that has exited: its pid is free.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    const deadPid = Number(dead.stdout);
    const leftover = `.item-00005.json.tokenscope-${deadPid}-0123456789ab.tmp`;
    writeFileSync(join(dir, leftover), '{"word": "HALF');
    writeFileSync(join(dir, RUN_LOCK_FILE), `${deadPid}\n`);
    rmSync(join(dir, "item-00002.json"));
    const ran: number[] = [];
    await runIn(dir, async (word, index) => {
      ran.push(index);
      return { word: word.toUpperCase() };
    });
    expect(ran).toEqual([1]);
    expect(readdirSync(dir).filter((name) => name.startsWith("."))).toEqual([]);
    expect(readIndex(dir).items).toHaveLength(4);
  });

  it("refuses a folder that a live process is writing to", async () => {
    const dir = newDir();
    await runIn(dir, upper);
    // This process stands for the other writer.
    writeFileSync(join(dir, RUN_LOCK_FILE), `${process.pid}\n`);
    await expect(runIn(dir, upper)).rejects.toThrow(`Another run (process ${process.pid}) is writing to`);
    rmSync(join(dir, RUN_LOCK_FILE));
  });

  it("refuses an index it did not write, and a file name that is not plain", async () => {
    const dir = newDir();
    await runIn(dir, upper);
    writeFileSync(join(dir, RUN_INDEX_FILE), '{"format": "something else"}');
    await expect(runIn(dir, upper)).rejects.toThrow("is not a run index (no format)");
    await expect(
      runItems({
        items: words,
        key: contentKey,
        work: upper,
        store: createFileRunStore(newDir(), { ...codec, fileName: () => "../escape.json" }),
      }),
    ).rejects.toThrow("not a plain file name");
    await expect(
      runItems({
        items: words,
        key: contentKey,
        work: upper,
        store: createFileRunStore(newDir(), { ...codec, fileName: () => "same.json" }),
      }),
    ).rejects.toThrow("would both be written to same.json");
  });
});
