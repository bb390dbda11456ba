import { spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkWritableFolder, writeFolderAtomically } from "../node.ts";
import { rejection, scratchFolders } from "./scratch.test-helpers.ts";

const { scratch } = scratchFolders("tokenscope-write-folder-");

/** Every entry under `folder` with its mode and content: compared before and after to show nothing changed. */
function snapshot(folder: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const path = join(folder, name);
    const stats = lstatSync(path);
    entries[name] =
      `${(stats.mode & 0o7777).toString(8)} ${stats.isFile() ? readFileSync(path, "utf8") : "folder"}`;
  }
  return entries;
}

/** A write callback that puts the two files of a "new model" in the folder. */
const newModel = async (folder: string) => {
  await writeFile(join(folder, "config.json"), "new config");
  await writeFile(join(folder, "model.safetensors"), "new weights");
};

/** A model folder as the hub serves one: what `force` may replace. */
function oldModel(path: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "config.json"), "old config");
  writeFileSync(join(path, "model.safetensors"), "old weights");
  writeFileSync(join(path, "tokenizer.json"), "old tokenizer");
}

describe("writeFolderAtomically", () => {
  it("writes a new folder (and its parents) with the default mode, leaving nothing beside it", async () => {
    const parent = scratch();
    mkdirSync(join(parent, "reference")); // the mode the umask gives a new folder
    const target = join(parent, "deep", "model");
    await writeFolderAtomically(target, newModel);
    expect(snapshot(target)).toEqual({
      "config.json": expect.stringMatching(/ new config$/),
      "model.safetensors": expect.stringMatching(/ new weights$/),
    });
    expect(statSync(target).mode & 0o7777).toBe(statSync(join(parent, "reference")).mode & 0o7777);
    expect(readdirSync(join(parent, "deep"))).toEqual(["model"]);
  });

  it("fills an existing empty folder, which keeps its mode", async () => {
    const parent = scratch();
    const target = join(parent, "empty");
    mkdirSync(target);
    chmodSync(target, 0o750);
    await writeFolderAtomically(target, newModel);
    expect(readdirSync(target).sort()).toEqual(["config.json", "model.safetensors"]);
    expect(statSync(target).mode & 0o7777).toBe(0o750);
    expect(readdirSync(parent)).toEqual(["empty"]);
  });

  it("refuses a non-empty folder without force, byte-identical and before writing anything", async () => {
    const parent = scratch();
    const target = join(parent, "model");
    oldModel(target);
    const before = snapshot(target);
    let called = false;
    const error = await rejection(
      writeFolderAtomically(target, async () => {
        called = true;
      }),
      "IO_ERROR",
    );
    expect(error.message).toContain("exists and is not empty (3 entries: ");
    expect(error.hint).toContain("--force");
    expect(called).toBe(false);
    await rejection(checkWritableFolder(target), "IO_ERROR");
    await checkWritableFolder(target, { force: true });
    expect(snapshot(target)).toEqual(before);
    expect(readdirSync(parent)).toEqual(["model"]);
  });

  it("with force, replaces a non-empty folder whole, keeping its mode and leaving no sibling", async () => {
    const parent = scratch();
    const target = join(parent, "model");
    oldModel(target);
    chmodSync(target, 0o700);
    await writeFolderAtomically(target, newModel, { force: true });
    expect(snapshot(target)).toEqual({
      "config.json": expect.stringMatching(/ new config$/),
      "model.safetensors": expect.stringMatching(/ new weights$/),
    });
    expect(statSync(target).mode & 0o7777).toBe(0o700);
    expect(readdirSync(parent)).toEqual(["model"]);
  });

  it("refuses an existing file, even with force, saying so (not EEXIST)", async () => {
    const parent = scratch();
    const target = join(parent, "model");
    writeFileSync(target, "a file");
    for (const force of [false, true]) {
      const error = await rejection(writeFolderAtomically(target, newModel, { force }), "IO_ERROR");
      expect(error.message).toContain("it is a regular file, not a folder");
      expect(error.message).not.toContain("EEXIST");
    }
    expect(readFileSync(target, "utf8")).toBe("a file");
    expect(readdirSync(parent)).toEqual(["model"]);
  });

  it("writes through a symbolic link to a folder, which stays a link; refuses a dangling one", async () => {
    const parent = scratch();
    const real = join(parent, "real");
    oldModel(real);
    const link = join(parent, "link");
    symlinkSync(real, link);
    await writeFolderAtomically(link, newModel, { force: true });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(real, "config.json"), "utf8")).toBe("new config");
    expect(readdirSync(parent).sort()).toEqual(["link", "real"]);
    const dangling = join(parent, "dangling");
    symlinkSync(join(parent, "missing"), dangling);
    const error = await rejection(writeFolderAtomically(dangling, newModel), "IO_ERROR");
    expect(error.message).toContain("which does not exist");
    expect(readdirSync(parent).sort()).toEqual(["dangling", "link", "real"]);
  });

  for (const existing of [false, true]) {
    const what = existing ? "an existing folder (force)" : "an absent target";
    it(`a failing write leaves ${what} as it was, and no temporary folder`, async () => {
      const parent = scratch();
      const target = join(parent, "model");
      if (existing) oldModel(target);
      const before = existing ? snapshot(target) : undefined;
      const failure = new TypeError("the generator broke");
      const halfWritten = async (folder: string) => {
        await writeFile(join(folder, "model.safetensors"), "half of the wei");
        throw failure;
      };
      // A bug's error passes through as it is (exit 1 in the CLI), a system error becomes IO_ERROR.
      await expect(writeFolderAtomically(target, halfWritten, { force: true })).rejects.toBe(failure);
      const systemError = await rejection(
        writeFolderAtomically(target, (folder) => writeFile(join(folder, "no", "such", "file"), "x"), {
          force: true,
        }),
        "IO_ERROR",
      );
      expect(systemError.message).toContain(`Could not write the folder ${target}: ENOENT`);
      expect(readdirSync(parent)).toEqual(existing ? ["model"] : []);
      if (before) expect(snapshot(target)).toEqual(before);
    });

    it(`an abort while writing leaves ${what} as it was, and no temporary folder`, async () => {
      const parent = scratch();
      const target = join(parent, "model");
      if (existing) oldModel(target);
      const before = existing ? snapshot(target) : undefined;
      const controller = new AbortController();
      await rejection(
        writeFolderAtomically(
          target,
          async (folder) => {
            await writeFile(join(folder, "model.safetensors"), "half of the wei");
            controller.abort();
          },
          { force: true, signal: controller.signal },
        ),
        "ABORTED",
      );
      expect(readdirSync(parent)).toEqual(existing ? ["model"] : []);
      if (before) expect(snapshot(target)).toEqual(before);
    });
  }

  it("process.exit while writing (the CLI's second Ctrl-C) removes the temporary folder", () => {
    const parent = scratch();
    const target = join(parent, "model");
    oldModel(target);
    const before = snapshot(target);
    const module = fileURLToPath(new URL("./write-folder.node.ts", import.meta.url));
    const script = `
      import { writeFileSync } from "node:fs";
      import { join } from "node:path";
      import { writeFolderAtomically } from ${JSON.stringify(module)};
      await writeFolderAtomically(${JSON.stringify(target)}, async (folder) => {
        writeFileSync(join(folder, "model.safetensors"), "half of the wei");
        process.stdout.write("exit while writing");
        process.exit(130);
      }, { force: true });
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stdout, child.stderr).toBe("exit while writing");
    expect(child.status).toBe(130);
    expect(readdirSync(parent)).toEqual(["model"]);
    expect(snapshot(target)).toEqual(before);
  });
});
