import { spawn } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-models-random-out-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh parent folder per test, so that "no temporary sibling is left" is a listing. */
function scratch(): string {
  const folder = join(root, `case-${counter++}`);
  mkdirSync(folder);
  return folder;
}

const tiny = ["--arch", "llama", "--layers", "1", "--hidden", "16", "--heads", "2", "--vocab", "300"];

/** Names, modes and contents of everything under `folder`. */
function snapshot(folder: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const stats = lstatSync(join(folder, name));
    entries[name] = `${stats.mode} ${stats.isFile() ? readFileSync(join(folder, name), "base64") : "folder"}`;
  }
  return entries;
}

/** A model folder that is not tokenscope's: what `--out` must not damage. */
function someonesModel(out: string): void {
  mkdirSync(out);
  writeFileSync(join(out, "config.json"), '{"model_type":"llama"}');
  writeFileSync(join(out, "model.safetensors"), new Uint8Array(4096).fill(9));
}

describe("tokenscope models random --out", () => {
  it("an existing file: exit 4, saying it is a file (not EEXIST), the file unchanged", async () => {
    const parent = scratch();
    const out = join(parent, "model");
    writeFileSync(out, "not a folder");
    const io = memoryIO();
    expect(await run(["models", "random", ...tiny, "--seed", "1", "--out", out], io)).toBe(4);
    expect(io.err()).toContain(`Could not write the folder ${out}: it is a regular file, not a folder`);
    expect(io.err()).not.toContain("EEXIST");
    expect(readFileSync(out, "utf8")).toBe("not a folder");
    expect(readdirSync(parent)).toEqual(["model"]);
  });

  it("a non-empty folder: exit 4 naming --force, byte for byte unchanged; --force replaces it with a model that loads", async () => {
    const parent = scratch();
    const out = join(parent, "model");
    someonesModel(out);
    const before = snapshot(out);
    const refused = memoryIO();
    expect(await run(["models", "random", ...tiny, "--seed", "1", "--out", out], refused)).toBe(4);
    expect(refused.err()).toContain("exists and is not empty");
    expect(refused.err()).toContain("--force");
    expect(snapshot(out)).toEqual(before);

    const forced = memoryIO();
    expect(await run(["models", "random", ...tiny, "--seed", "1", "--out", out, "--force"], forced)).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    expect(readdirSync(parent)).toEqual(["model"]);
    const inspected = memoryIO();
    expect(await run(["models", "inspect", out, "--json"], inspected), inspected.err()).toBe(0);
    expect(JSON.parse(inspected.out())).toMatchObject({
      architecture: "llama",
      numLayers: 1,
      hiddenSize: 16,
    });
  });
});

const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
// About 60 MB of weights: generating and writing them takes long enough to interrupt.
const large = ["--arch", "llama", "--layers", "4", "--hidden", "512", "--heads", "8", "--vocab", "1000"];

/**
 * Runs `models random` in a child process and presses Ctrl-C (SIGINT) as soon as its temporary
 * folder appears beside `out`, that is, half way; resolves with the exit code, the milliseconds
 * from SIGINT to exit, and whether the temporary folder was seen.
 */
function interruptedRandom(out: string, extra: string[]) {
  const parent = join(out, "..");
  const child = spawn(
    process.execPath,
    [
      "--conditions=@tokenscope/source",
      "--import",
      "tsx",
      bin,
      "models",
      "random",
      ...large,
      "--seed",
      "2",
    ].concat(["--out", out, ...extra]),
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let interruptedAt: number | undefined;
  const poll = setInterval(() => {
    if (readdirSync(parent).some((name) => name.endsWith(".tmp"))) {
      clearInterval(poll);
      interruptedAt = performance.now();
      child.kill("SIGINT");
    }
  }, 2);
  return new Promise<{ code: number | null; afterSigintMs: number; sawTemporary: boolean; stderr: string }>(
    (done) => {
      child.on("exit", (code) => {
        clearInterval(poll);
        done({
          code,
          afterSigintMs: interruptedAt === undefined ? Number.NaN : performance.now() - interruptedAt,
          sawTemporary: interruptedAt !== undefined,
          stderr,
        });
      });
    },
  );
}

describe("tokenscope models random, Ctrl-C half way", () => {
  it("with no folder there: exits 130 within 2 s, and leaves no folder and no temporary sibling", async () => {
    const parent = scratch();
    const outcome = await interruptedRandom(join(parent, "model"), []);
    expect(outcome.sawTemporary, outcome.stderr).toBe(true);
    expect(outcome.code, outcome.stderr).toBe(130);
    expect(outcome.afterSigintMs).toBeLessThan(2_000);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("replacing a folder with --force: exits 130 within 2 s, the old folder byte for byte as it was", async () => {
    const parent = scratch();
    const out = join(parent, "model");
    someonesModel(out);
    const before = snapshot(out);
    const outcome = await interruptedRandom(out, ["--force"]);
    expect(outcome.sawTemporary, outcome.stderr).toBe(true);
    expect(outcome.code, outcome.stderr).toBe(130);
    expect(outcome.afterSigintMs).toBeLessThan(2_000);
    expect(readdirSync(parent)).toEqual(["model"]);
    expect(snapshot(out)).toEqual(before);
  });
});
