import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

/*
 * Hostile and careless command lines found by issue 11's tester (F03, F04, F09, F10, F11, F17 and
 * the option parsers): each is refused as the user's fault (exit 2 or 3, never 1), and everything the
 * command line alone decides is refused before the model loads. The model below does not exist, so
 * reaching the load shows as exit 4 and MODEL_LOAD_FAILED.
 */
const nowhere = "/nonexistent/tokenscope-red-team-model";
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "tokenscope-red-team-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function cli(args: string[]) {
  const io = memoryIO();
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** `tokenscope attribute --model <nowhere> ...args`, in process. */
const attribute = (...args: string[]) => cli(["attribute", "--model", nowhere, ...args]);

/** The CLI as a child process, with `input` on its standard input. */
function spawnCli(args: string[], input: string) {
  return spawnSync(process.execPath, ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", TOKENSCOPE_PLUGINS: "" },
    timeout: 60_000,
  });
}

/** Refused before the model was looked at, with `code`. */
function expectRefusedBeforeLoading(outcome: { code: number; err: string }, code: number): void {
  expect(outcome.code, outcome.err).toBe(code);
  expect(outcome.err).not.toContain("MODEL_LOAD_FAILED");
}

describe("--generation-args (F03, F09)", () => {
  it("a 50,000-deep seed is exit 3 with its type, not a stack overflow (exit 1)", async () => {
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const outcome = await attribute("hi", "--generation-args", `{"seed": ${deep}}`);
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain('Generation argument "seed" must be an integer ≥ 0, got an array');
  });

  it.each(["toString", "constructor", "__proto__"])(
    "%s is an unknown name, not a stop token",
    async (key) => {
      const outcome = await attribute("hi", "--generation-args", `{"${key}": 432}`);
      expectRefusedBeforeLoading(outcome, 3);
      expect(outcome.err).toContain(`Unknown generation argument "${key}"`);
    },
  );
});

describe("prompt files (F04) and standard input", () => {
  it("200,000 prompt lines are refused by the prompts limit (was: exit 1, a spread overflowing the stack)", async () => {
    const file = join(folder, "l200k.txt");
    writeFileSync(file, "hi\n".repeat(200_000));
    const outcome = await attribute("--input-file", file);
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("above tokenscope's limit of 100,000");
  });

  it("a prompt file that is not UTF-8 is exit 3, naming the byte", async () => {
    const file = join(folder, "latin1.txt");
    writeFileSync(file, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const outcome = await attribute("--input-file", file);
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("is not UTF-8 text: byte 3 (line 1), 0xe9");
  });

  it("--input-file - reads piped prompts (then goes on to load the model), and refuses an empty pipe", () => {
    const piped = spawnCli(
      ["attribute", "--model", nowhere, "--input-file", "-", "--step", "99"],
      "one\ntwo\n",
    );
    // --step 99 with 32 new tokens is refused right after the prompts were read: they were.
    expect(piped.status, piped.stderr).toBe(3);
    expect(piped.stderr).toContain("--step 99 is past the last generated token");
    const empty = spawnCli(["attribute", "--model", nowhere, "--input-file", "-"], "");
    expect(empty.status, empty.stderr).toBe(3);
    expect(empty.stderr).toContain("standard input holds no prompt");
  });
});

describe("validation before loading (F10)", () => {
  it("an empty --merge-args span is refused before the model loads", async () => {
    const outcome = await attribute("hi", "--merge", "spans", "--merge-args", '{"source": [[4, 1]]}');
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("--merge-args: source range [4, 1) is empty");
  });

  it("overlapping spans, an unknown merge parameter and a bad value too", async () => {
    const overlap = await attribute("hi", "--merge", "spans", "--merge-args", '{"source": [[0, 3], [2, 4]]}');
    expectRefusedBeforeLoading(overlap, 3);
    expect(overlap.err).toContain("source range [2, 4) overlaps [0, 3)");
    const unknown = await attribute("hi", "--merge", "words", "--merge-args", '{"bogus": 1}');
    expectRefusedBeforeLoading(unknown, 3);
    expect(unknown.err).toContain('Invalid parameters for Aggregator "words": Unrecognized key: "bogus"');
    expect(unknown.err).toContain("`tokenscope methods explain words`");
    const bad = await attribute("hi", "--merge", "words", "--merge-args", '{"reduce": "toString"}');
    expectRefusedBeforeLoading(bad, 3);
  });

  it("--target '' is refused before the model loads", async () => {
    const outcome = await attribute("hi", "--target", "");
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("The target of prompt 1 is empty");
  });
});

describe("step-function parameters (F11, F17)", () => {
  it("an unknown --attributed-fn-args key is refused like an unknown --param", async () => {
    const outcome = await attribute("hi", "--attributed-fn-args", '{"bogus": 1}');
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain('Invalid parameters for Attributed function "probability"');
    expect(outcome.err).toContain('Unrecognized key: "bogus"');
  });

  it("an unknown --step-scores-args key too", async () => {
    const outcome = await attribute(
      "hi",
      "--step-scores",
      "entropy",
      "--step-scores-args",
      '{"entropy": {"bogus": 1}}',
    );
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain('Invalid parameters for Step score "entropy"');
  });

  it("the hint is a command that runs: `tokenscope methods explain probability`", async () => {
    const outcome = await attribute("hi", "--attributed-fn-args", '{"logprob": 3}');
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("`tokenscope methods explain probability`");
    const explained = await cli(["methods", "explain", "probability"]);
    expect(explained.code, explained.err).toBe(0);
  });

  it("a step score named like an Object method finds nothing of Object's", async () => {
    const outcome = await attribute("hi", "--step-scores", "constructor", "--step-scores-args", "{}");
    expectRefusedBeforeLoading(outcome, 3);
    expect(outcome.err).toContain("UNKNOWN_ID");
  });
});

describe("numeric options read decimal notation only (exit 2)", () => {
  it.each([
    ["--n-steps", "0x10"],
    ["--n-steps", " 5 "],
    ["--n-steps", ""],
    ["--n-steps", "0b101"],
    ["--max-new-tokens", "1_000"],
    ["--step", "+1"],
    ["--tolerance", "0x1p-3"],
    ["--tolerance", " 0.1"],
  ])("%s %j", async (option, value) => {
    const outcome = await attribute("hi", "--method", "integrated_gradients", option, value);
    expectRefusedBeforeLoading(outcome, 2);
    expect(outcome.err).toContain(option);
  });

  it("generate's --temperature 0x1 and --seed 1e400 too; 1e3 stays an integer", async () => {
    for (const args of [
      ["--temperature", "0x1"],
      ["--seed", "1e400"],
    ]) {
      const outcome = await cli(["generate", "--model", nowhere, "hi", ...args]);
      expectRefusedBeforeLoading(outcome, 2);
    }
    const exponent = await attribute("hi", "--method", "integrated_gradients", "--n-steps", "1e9");
    expectRefusedBeforeLoading(exponent, 3);
    expect(exponent.err).toContain("n_steps: at most 10,000 steps");
  });

  it("--threads beyond 4 per core is exit 2, naming the cores", async () => {
    const cores = availableParallelism();
    const outcome = await cli(["generate", "--model", nowhere, "hi", "--threads", String(4 * cores + 1)]);
    expectRefusedBeforeLoading(outcome, 2);
    expect(outcome.err).toContain(`this machine has ${cores} core`);
  });
});
