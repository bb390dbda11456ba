import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

/*
 * The red team's file cases (issue 11, F00, F02, F10, F12, F13, F14), end to end. Every folder
 * written to is made here under a fresh temporary folder: `models random --out . --force` once
 * removed a whole repository, so no case here points an output at anything else.
 */

const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
// By absolute URL, so that a child process started in a scratch folder (outside the repository) finds it.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const missingModel = "/nonexistent/tokenscope-model";

const root = mkdtempSync(join(tmpdir(), "tokenscope-red-team-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function scratch(): string {
  const folder = join(root, `case-${counter++}`);
  mkdirSync(folder);
  return folder;
}

/** Names and contents of everything under `folder`. */
function snapshot(folder: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const path = join(folder, name);
    entries[name] = lstatSync(path).isFile() ? readFileSync(path, "base64") : "folder";
  }
  return entries;
}

async function cli(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const io = memoryIO();
  const code = await run(argv, io);
  return { code, err: io.err(), out: io.out() };
}

/** `tokenscope <argv>` in a child process whose current folder is `cwd`. */
function cliIn(cwd: string, argv: string[], timeout = 60_000) {
  return spawnSync(process.execPath, ["--conditions=@tokenscope/source", "--import", tsx, bin, ...argv], {
    cwd,
    encoding: "utf8",
    timeout,
    env: { ...process.env, NO_COLOR: "1" },
  });
}

const tiny = [
  "--arch",
  "llama",
  "--layers",
  "1",
  "--hidden",
  "16",
  "--heads",
  "2",
  "--vocab",
  "300",
  "--seed",
  "1",
];

describe("F00: models random --force replaces only a model folder", () => {
  it("--out . --force in a project folder: exit 4, the folder and its sources untouched", () => {
    const victim = join(scratch(), "victim");
    mkdirSync(join(victim, "src"), { recursive: true });
    writeFileSync(join(victim, "src", "a.c"), "precious");
    writeFileSync(join(victim, "config.json"), "{}");
    const before = snapshot(victim);
    const child = cliIn(victim, ["models", "random", ...tiny, "--out", ".", "--force"]);
    expect(child.status, child.stderr).toBe(4);
    expect(child.stderr).toContain("Could not write the folder .: it is the current folder");
    expect(child.stderr).toContain("never replaces");
    expect(snapshot(victim)).toEqual(before);
  });

  it("a model folder that is the current folder is refused too, and so is its parent", () => {
    const parent = scratch();
    const model = join(parent, "model");
    mkdirSync(model);
    writeFileSync(join(model, "config.json"), "{}");
    writeFileSync(join(model, "model.safetensors"), "weights");
    const before = snapshot(parent);
    for (const out of [".", model, ".."]) {
      const child = cliIn(model, ["models", "random", ...tiny, "--out", out, "--force"]);
      expect(child.status, child.stderr).toBe(4);
      expect(child.stderr).toMatch(/it (is|contains) the current folder/);
    }
    expect(snapshot(parent)).toEqual(before);
  });

  it("a folder with sources, a fake repository with .git: exit 4 saying why, unchanged; a model folder is replaced", async () => {
    const parent = scratch();
    const project = join(parent, "project");
    mkdirSync(join(project, "src"), { recursive: true });
    writeFileSync(join(project, "src", "a.c"), "precious");
    const repository = join(parent, "repository");
    mkdirSync(join(repository, ".git"), { recursive: true });
    writeFileSync(join(repository, ".git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(repository, "config.json"), "{}");
    const before = snapshot(parent);
    const sources = await cli(["models", "random", ...tiny, "--out", project, "--force"]);
    expect(sources.code, sources.err).toBe(4);
    expect(sources.err).toContain("it holds the sub-folder src, so it is not a model folder");
    const repo = await cli(["models", "random", ...tiny, "--out", repository, "--force"]);
    expect(repo.code, repo.err).toBe(4);
    expect(repo.err).toContain("it holds .git, so it is a Git repository");
    expect(snapshot(parent)).toEqual(before);

    const model = join(parent, "model");
    for (const attempt of [1, 2]) {
      const written = await cli(["models", "random", ...tiny, "--out", model, "--force"]);
      expect(written.code, `attempt ${attempt}: ${written.err}`).toBe(0);
    }
    expect(readdirSync(model)).toContain("model.safetensors");
  });
});

describe("F12: an empty --out is refused (exit 2), not taken as no --out", () => {
  const commands: [string, string[]][] = [
    ["attribute", ["attribute", "--model", missingModel, "hi", "--out", ""]],
    ["view", ["view", "result.json", "--to", "json", "--out", ""]],
    ["onnx export", ["onnx", "export", "--model", missingModel, "--out", ""]],
    ["onnx grad", ["onnx", "grad", "in.onnx", "--of", "y", "--wrt", "x", "--out", ""]],
    ["models random", ["models", "random", ...tiny, "--out", ""]],
  ];
  for (const [name, argv] of commands) {
    it(name, async () => {
      for (const empty of ["", "  "]) {
        const outcome = await cli(argv.map((arg, index) => (index === argv.length - 1 ? empty : arg)));
        expect(outcome.code, outcome.err).toBe(2);
        expect(outcome.err).toContain("--out");
        expect(outcome.err).toContain("expected a path, got an empty value");
      }
    });
  }
});

describe("F10, F13: --out paths refused before the model loads", () => {
  it("--split-sequences checks every per-sequence file first: sp-1.json a folder, nothing written", async () => {
    const folder = scratch();
    mkdirSync(join(folder, "sp-1.json"));
    // A model that does not exist: the refusal must come before loading it.
    const outcome = await cli([
      "attribute",
      "--model",
      missingModel,
      "hi",
      "there",
      "--out",
      join(folder, "sp.json"),
      "--split-sequences",
    ]);
    expect(outcome.code, outcome.err).toBe(4);
    expect(outcome.err).toContain(`Could not write ${join(folder, "sp-1.json")}: it is a folder`);
    expect(readdirSync(folder)).toEqual(["sp-1.json"]);
  });

  it("a path ending in / and /proc/self/status are refused up front, never naming a temporary file", async () => {
    const folder = scratch();
    const slash = `${join(folder, "new.json")}/`;
    const trailing = await cli(["attribute", "--model", missingModel, "hi", "--out", slash]);
    expect(trailing.code, trailing.err).toBe(4);
    expect(trailing.err).toContain(`Could not write ${slash}: it ends in "/", so it names a folder`);
    expect(trailing.err).not.toContain(".tmp");
    const proc = await cli(["attribute", "--model", missingModel, "hi", "--out", "/proc/self/status"]);
    expect(proc.code, proc.err).toBe(4);
    expect(proc.err).toContain("it is on /proc");
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe("view: hostile saved results", () => {
  let savedText: string;
  beforeAll(async () => {
    const saved = join(root, "saved.json");
    const outcome = await cli([
      "attribute",
      "--model",
      stories,
      "Once",
      "--max-new-tokens",
      "1",
      "--out",
      saved,
    ]);
    expect(outcome.code, outcome.err).toBe(0);
    savedText = readFileSync(saved, "utf8");
  });

  /** The saved result with `"extras":{` (or `"parameters":{`) given a first entry nested `levels` deep. */
  const deepened = (field: "extras" | "parameters", levels: number) => {
    expect(savedText).toContain(`"${field}":{`);
    return savedText.replace(`"${field}":{`, `"${field}":{"x":${"[".repeat(levels)}${"]".repeat(levels)},`);
  };

  it("F14: a Git LFS pointer is named as one (exit 4), not as invalid JSON", async () => {
    const path = join(scratch(), "lfs.json");
    writeFileSync(
      path,
      "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1548\n",
    );
    const outcome = await cli(["view", path]);
    expect(outcome.code, outcome.err).toBe(4);
    expect(outcome.err).toContain("is a Git LFS pointer, not the result file: run git lfs pull");
    expect(outcome.err).not.toContain("not valid JSON");
  });

  it("F02: extras or parameters nested 5,000 and 1,000,000 deep: exit 3 naming jsonDepth, in every view mode", async () => {
    const folder = scratch();
    const files = [
      ["extras-5000.json", deepened("extras", 5_000)],
      ["parameters-1e6.json", deepened("parameters", 1_000_000)],
    ] as const;
    for (const [name, text] of files) {
      const path = join(folder, name);
      writeFileSync(path, text);
      for (const mode of [[], ["--to", "json"], ["--to", "inseq"], ["--to", "csv"], ["--aggregate", "sum"]]) {
        const outcome = await cli(["view", path, ...mode]);
        expect(outcome.code, `${name} ${mode.join(" ")}: ${outcome.err}`).toBe(3);
        expect(outcome.err).toContain("jsonDepth");
        expect(outcome.err).not.toContain("call stack");
      }
    }
  });

  it("F02: a 20 KB gzip nested ten million deep is refused within 1 s and 100 MB of memory (--max-size lifts the ratio guard, so the depth check must)", () => {
    const folder = scratch();
    const bomb = join(folder, "bomb-deep.json.gz");
    writeFileSync(bomb, gzipSync(deepened("extras", 10_000_000), { level: 9 }));
    expect(lstatSync(bomb).size).toBeLessThan(40_000);
    const warm = join(folder, "warm.json");
    writeFileSync(warm, savedText);
    const main = fileURLToPath(new URL("../main.ts", import.meta.url));
    const io = fileURLToPath(new URL("../io.ts", import.meta.url));
    // A view of a genuine result first loads every module; then the bomb's cost is measured alone.
    const script = `
      import { memoryIO } from ${JSON.stringify(io)};
      import { run } from ${JSON.stringify(main)};
      const warm = memoryIO();
      if ((await run(["view", ${JSON.stringify(warm)}], warm)) !== 0) throw new Error(warm.err());
      const rssBefore = process.resourceUsage().maxRSS;
      const started = performance.now();
      const io = memoryIO();
      const code = await run(["view", ${JSON.stringify(bomb)}, "--max-size", "67108864"], io);
      const ms = performance.now() - started;
      console.log(JSON.stringify({ code, ms, addedKb: process.resourceUsage().maxRSS - rssBefore, err: io.err() }));
    `;
    const child = spawnSync(
      process.execPath,
      ["--conditions=@tokenscope/source", "--import", tsx, "--input-type=module", "--eval", script],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const measured = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
      code: number;
      ms: number;
      addedKb: number;
      err: string;
    };
    expect(measured.code, measured.err).toBe(3);
    expect(measured.err).toContain("jsonDepth");
    expect(measured.ms).toBeLessThan(1_000);
    expect(measured.addedKb).toBeLessThan(100 * 1024);
  });
});
