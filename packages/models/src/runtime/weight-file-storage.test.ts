import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openWeightFileStorage } from "./weight-file-storage.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-weight-storage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("openWeightFileStorage", () => {
  it("appends, reads back, and deletes its file", async () => {
    const storage = openWeightFileStorage(join(root, "a"));
    expect(storage.append(Uint8Array.of(1, 2, 3))).toBe(0);
    expect(storage.append(Uint8Array.of(4, 5))).toBe(3);
    expect(Array.from(storage.read(2, 3))).toEqual([3, 4, 5]);
    expect(readdirSync(storage.folder)).toEqual([storage.location]);
    await storage.remove();
    await storage.remove();
    expect(readdirSync(storage.folder)).toEqual([]);
  });

  it("deletes files left by processes that are gone, and keeps those of live ones", async () => {
    const folder = join(root, "b");
    const first = openWeightFileStorage(folder);
    // No process has pid 2^22 + 1 (Linux's maximum is 2^22).
    const stale = join(folder, `weights-${2 ** 22 + 1}-abc123.bin`);
    const live = join(folder, `weights-${process.ppid}-def456.bin`);
    writeFileSync(stale, "x");
    writeFileSync(live, "x");
    const second = openWeightFileStorage(folder);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(join(folder, first.location))).toBe(true);
    await Promise.all([first.remove(), second.remove()]);
  });

  it("a folder it cannot create is an IO_ERROR saying what to do", () => {
    const file = join(root, "not-a-folder");
    writeFileSync(file, "x");
    expect(() => openWeightFileStorage(join(file, "weights"))).toThrow(
      expect.objectContaining({ code: "IO_ERROR", hint: expect.stringMatching(/TOKENSCOPE_WEIGHTS_DIR/) }),
    );
  });
});
