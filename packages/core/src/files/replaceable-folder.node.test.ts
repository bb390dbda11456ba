import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkWritableFolder, writeFolderAtomically } from "../node.ts";
import { rejection, scratchFolders } from "./scratch.test-helpers.ts";

/*
 * `--force` once removed a whole repository (`models random --out . --force`). Every folder here is
 * made by the test under a fresh temporary folder; nothing outside it is ever a target of a write.
 */

const { root, scratch } = scratchFolders("tokenscope-replaceable-folder-");

function snapshot(folder: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const path = join(folder, name);
    entries[name] = lstatSync(path).isFile() ? readFileSync(path, "utf8") : "folder";
  }
  return entries;
}

/** Fills `folder` with the given files (a name ending in "/" is a folder). */
function fill(folder: string, names: readonly string[]): string {
  mkdirSync(folder, { recursive: true });
  for (const name of names) {
    if (name.endsWith("/")) mkdirSync(join(folder, name), { recursive: true });
    else {
      mkdirSync(join(folder, name, ".."), { recursive: true });
      writeFileSync(join(folder, name), `old ${name}`);
    }
  }
  return folder;
}

const newModel = async (folder: string) => {
  await writeFile(join(folder, "config.json"), "new config");
  await writeFile(join(folder, "model.safetensors"), "new weights");
};

/** A write callback that must never run: the target is refused before writing. */
const never = async () => {
  throw new Error("the folder was written although it should have been refused");
};

describe("writeFolderAtomically({ force }): only a model folder is replaced", () => {
  const refusedFolders: [string, string[], RegExp][] = [
    [
      "a Git repository (.git, sources, and a config.json)",
      [".git/HEAD", "src/a.c", "config.json"],
      /it holds \.git, so it is a Git repository, which tokenscope never replaces, even with --force/,
    ],
    [
      "a Hugging Face clone with .git",
      [".git", "config.json", "model.safetensors"],
      /it holds \.git, so it is a Git repository/,
    ],
    [
      "a folder with a sub-folder",
      ["config.json", "src/"],
      /it holds the sub-folder src, so it is not a model folder/,
    ],
    [
      "a folder with another file",
      ["config.json", "notes.txt"],
      /it holds notes\.txt, so it is not a model folder/,
    ],
    [
      "a source folder",
      ["package.json", "index.ts"],
      /it holds (package\.json|index\.ts), so it is not a model folder/,
    ],
  ];
  for (const [what, names, message] of refusedFolders) {
    it(`refuses ${what}, with or without force, unchanged`, async () => {
      const parent = scratch();
      const target = fill(join(parent, "victim"), names);
      const before = snapshot(target);
      for (const force of [true, false]) {
        const error = await rejection(writeFolderAtomically(target, never, { force }), "IO_ERROR");
        expect(error.message).toMatch(message);
        expect(error.message).toContain("Nothing was written.");
        expect(error.hint).toContain("Pass a new folder");
        expect(error.hint).not.toContain("Pass --force");
        await rejection(checkWritableFolder(target, { force }), "IO_ERROR");
      }
      expect(snapshot(target)).toEqual(before);
      expect(readdirSync(parent)).toEqual(["victim"]);
    });
  }

  it("replaces a real model folder (sharded weights, index, tokenizer, README, .gitattributes)", async () => {
    const parent = scratch();
    const target = fill(join(parent, "model"), [
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "tokenizer.model",
      "special_tokens_map.json",
      "vocab.json",
      "merges.txt",
      "README.md",
      ".gitattributes",
    ]);
    const refused = await rejection(writeFolderAtomically(target, never), "IO_ERROR");
    expect(refused.hint).toContain("--force");
    await writeFolderAtomically(target, newModel, { force: true });
    expect(snapshot(target)).toEqual({ "config.json": "new config", "model.safetensors": "new weights" });
    expect(readdirSync(parent)).toEqual(["model"]);
  });

  it("refuses the file system root, even with force, before writing", async () => {
    for (const force of [true, false]) {
      const error = await rejection(checkWritableFolder("/", { force }), "IO_ERROR");
      expect(error.message).toContain("it is the root of the file system, which tokenscope never replaces");
      await rejection(writeFolderAtomically("/", never, { force }), "IO_ERROR");
    }
  });

  it("checks the folder again before moving it aside: one changed while writing is kept", async () => {
    const parent = scratch();
    const target = fill(join(parent, "model"), ["config.json"]);
    const error = await rejection(
      writeFolderAtomically(
        target,
        async (folder) => {
          await newModel(folder);
          writeFileSync(join(target, "notes.txt"), "written meanwhile");
        },
        { force: true },
      ),
      "IO_ERROR",
    );
    expect(error.message).toContain("it holds notes.txt");
    expect(snapshot(target)).toEqual({ "config.json": "old config.json", "notes.txt": "written meanwhile" });
    expect(readdirSync(parent)).toEqual(["model"]);
  });
});

const module = fileURLToPath(new URL("./write-folder.node.ts", import.meta.url));

/**
 * Runs writeFolderAtomically on each of `targets` with force in a child process whose current folder
 * is `cwd` (with `env` added) and returns one line per target: the error's code and message, or "written".
 */
function forcedInChild(cwd: string, targets: string[], env: Record<string, string> = {}): string[] {
  // tsx is resolved from the folder node starts in, so the child moves into \`cwd\` once it runs.
  const script = `
    import { writeFolderAtomically } from ${JSON.stringify(module)};
    process.chdir(${JSON.stringify(cwd)});
    for (const target of ${JSON.stringify(targets)}) {
      try {
        await writeFolderAtomically(target, async () => { throw new Error("the folder was written"); }, { force: true });
        console.log("written");
      } catch (error) {
        console.log(\`\${error.code ?? "no code"}: \${error.message}\`);
      }
    }
  `;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  expect(child.status, child.stderr).toBe(0);
  return child.stdout.trim().split("\n");
}

describe("writeFolderAtomically({ force }): never the current folder or the home folder", () => {
  it("refuses the current folder (as '.', './' and its absolute path) and every folder containing it", () => {
    const parent = scratch();
    // The current folder looks like a model folder: only its being the current folder refuses it.
    const cwd = fill(join(parent, "project", "model"), ["config.json", "model.safetensors"]);
    const before = snapshot(parent);
    const lines = forcedInChild(cwd, [".", "./", cwd, "..", join(parent, "project")]);
    expect(lines).toHaveLength(5);
    for (const [index, given] of [".", "./", cwd].entries()) {
      expect(lines[index]).toMatch(
        `IO_ERROR: Could not write the folder ${given}: it is the current folder, which tokenscope never replaces, even with --force. Nothing was written. Pass a new folder for --out`,
      );
    }
    for (const line of lines.slice(3)) expect(line).toContain(`it contains the current folder (${cwd})`);
    expect(snapshot(parent)).toEqual(before);
  });

  it("refuses an empty current folder too (renaming over it would leave the shell in a deleted folder)", () => {
    const cwd = join(scratch(), "empty");
    mkdirSync(cwd);
    const [line] = forcedInChild(cwd, ["."]);
    expect(line).toContain("IO_ERROR: Could not write the folder .: it is the current folder");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("refuses the home folder and a folder containing it", () => {
    const parent = scratch();
    const home = fill(join(parent, "users", "someone"), ["config.json"]);
    const before = snapshot(parent);
    const lines = forcedInChild(root, [home, join(parent, "users")], { HOME: home });
    expect(lines[0]).toContain(
      `IO_ERROR: Could not write the folder ${home}: it is the home folder, which tokenscope never replaces, even with --force. Nothing was written.`,
    );
    expect(lines[1]).toContain(`it contains the home folder (${home})`);
    expect(snapshot(parent)).toEqual(before);
  });
});
