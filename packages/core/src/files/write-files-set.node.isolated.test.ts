import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rejection, scratchFolders } from "./scratch.test-helpers.ts";
import { writeFileAtomically, writeFilesAtomically } from "./write-file.node.ts";

// Failures at write time (a full disk, a rename refused) cannot be made on demand: the calls fail here.
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, rename: vi.fn(actual.rename), mkdir: vi.fn(actual.mkdir) };
});
afterEach(() => {
  vi.mocked(rename).mockReset();
  vi.mocked(mkdir).mockReset();
});

const { scratch } = scratchFolders("tokenscope-write-files-set-");

/** A system error as Node makes one, naming both paths of the call. */
function systemError(code: string, words: string, syscall: string, from: unknown, to?: unknown): Error {
  const dest = to === undefined ? "" : ` -> '${String(to)}'`;
  return Object.assign(new Error(`${code}: ${words}, ${syscall} '${String(from)}'${dest}`), {
    code,
    syscall,
    path: String(from),
  });
}

/** Lets the first `real` calls of `mocked` through, then fails the next one with `error`. */
async function failAfter<T extends (...args: never[]) => Promise<unknown>>(
  mocked: T,
  real: number,
  error: (...args: Parameters<T>) => Error,
): Promise<void> {
  const actual = await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises");
  const original = (mocked === (rename as unknown) ? actual.rename : actual.mkdir) as unknown as T;
  let calls = 0;
  vi.mocked(mocked).mockImplementation(((...args: Parameters<T>) =>
    calls++ < real ? original(...args) : Promise.reject(error(...args))) as never);
}

const files = (folder: string) =>
  ["a-0.json", "a-1.json", "a-2.json"].map((name) => ({ path: join(folder, name), content: `new ${name}` }));

describe("write-time errors name the target, never the temporary file", () => {
  it("a rename refused: the message names the target and says nothing was written", async () => {
    const folder = scratch();
    const path = join(folder, "out.json");
    await failAfter(rename, 0, (from, to) => systemError("ENOTDIR", "not a directory", "rename", from, to));
    const error = await rejection(writeFileAtomically(path, "x"), "IO_ERROR");
    expect(error.message).toBe(
      `Could not write ${path}: ENOTDIR: not a directory. Nothing was written. Check that the folder exists and is writable.`,
    );
    expect(error.message).not.toContain(".tmp");
    expect(error.details).toMatchObject({ path, code: "ENOTDIR" });
    expect(readdirSync(folder)).toEqual([]);
  });

  it("a full disk while writing names the target and gives the system's hint", async () => {
    const folder = scratch();
    const path = join(folder, "deep", "out.json");
    await failAfter(mkdir, 0, (made) => systemError("ENOSPC", "no space left on device", "mkdir", made));
    const error = await rejection(writeFileAtomically(path, "x"), "IO_ERROR");
    expect(error.message).toContain(
      `Could not write ${path}: ENOSPC: no space left on device. Nothing was written.`,
    );
    expect(error.hint).toBe("Free some space on the disk, or write elsewhere.");
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe("writeFilesAtomically: a set of files", () => {
  it("writes every file, replacing existing ones", async () => {
    const folder = scratch();
    writeFileSync(join(folder, "a-1.json"), "old");
    await writeFilesAtomically(files(folder));
    expect(readdirSync(folder).sort()).toEqual(["a-0.json", "a-1.json", "a-2.json"]);
    expect(readFileSync(join(folder, "a-1.json"), "utf8")).toBe("new a-1.json");
  });

  it("a failure while writing the third file leaves every target as it was, and no temporary file", async () => {
    const folder = scratch();
    writeFileSync(join(folder, "a-0.json"), "old");
    await failAfter(mkdir, 2, (made) => systemError("ENOSPC", "no space left on device", "mkdir", made));
    const error = await rejection(writeFilesAtomically(files(folder)), "IO_ERROR");
    expect(error.message).toContain(`Could not write ${join(folder, "a-2.json")}: ENOSPC`);
    expect(error.message).toContain("Nothing was written.");
    expect(readdirSync(folder)).toEqual(["a-0.json"]);
    expect(readFileSync(join(folder, "a-0.json"), "utf8")).toBe("old");
  });

  it("a rename failing part way says which files were already written, and leaves no temporary file", async () => {
    const folder = scratch();
    await failAfter(rename, 1, (from, to) => systemError("EIO", "i/o error", "rename", from, to));
    const error = await rejection(writeFilesAtomically(files(folder)), "IO_ERROR");
    expect(error.message).toContain(
      `Could not write ${join(folder, "a-1.json")}: EIO: i/o error. ${join(folder, "a-0.json")} was already written; the rest were not.`,
    );
    expect(error.message).not.toContain(".tmp");
    expect(readdirSync(folder)).toEqual(["a-0.json"]);
  });
});
