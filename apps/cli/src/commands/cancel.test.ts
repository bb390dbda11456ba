import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeRandomHfFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Ctrl-C, end to end: the real executable in a child process, SIGINT sent to node itself (as a
// terminal does; pnpm would not forward it), exit 130 within 2 s, said on stderr, no stack.
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const DEADLINE_MS = 2_000;
const longContext = join(mkdtempSync(join(tmpdir(), "tokenscope-cancel-")), "model");
beforeAll(async () => {
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 2,
    hidden: 64,
    heads: 4,
    vocab: 300,
    seed: 3,
    contextLength: 32_768,
    out: longContext,
  });
});
afterAll(() => rmSync(join(longContext, ".."), { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; stderr: () => string; running: Promise<void> } {
  const child = spawn(
    process.execPath,
    ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", TOKENSCOPE_PLUGINS: "" },
    },
  );
  let stderr = "";
  let seen: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    seen = resolve;
  });
  child.stdout!.resume();
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    // The model has loaded and the work has started once the device line is out.
    if (stderr.includes("runs on ")) seen();
  });
  return { child, stderr: () => stderr, running };
}

function exited(child: ChildProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, at: performance.now() })));
}

async function interruptWhileRunning(args: string[], presses = 1) {
  const run = start(args);
  const exit = exited(run.child);
  await run.running;
  // Let the long work get going (a model call or a sampling loop under way).
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sent = performance.now();
  for (let press = 0; press < presses; press++) run.child.kill("SIGINT");
  const { code, at } = await exit;
  return { code, afterSigintMs: at - sent, stderr: run.stderr() };
}

describe("Ctrl-C stops long work within 2 s, with exit 130", () => {
  const cases: [string, string[]][] = [
    [
      "integrated gradients at 5,000 steps",
      ["attribute", "--model", stories, "Once upon a time", "--method", "integrated_gradients"].concat([
        "--n-steps",
        "5000",
        "--max-new-tokens",
        "8",
      ]),
    ],
    [
      "lime with 50,000 samples",
      ["attribute", "--model", stories, "Once upon a time there was", "--method", "lime"].concat([
        "--param",
        "n_samples=50000",
        "--max-new-tokens",
        "4",
      ]),
    ],
    // A random model with a long context: stories260K's 512 tokens are generated in under 0.4 s.
    [
      "generate with 20,000 new tokens",
      ["generate", "--model", longContext, "Once", "--max-new-tokens", "20000"],
    ],
  ];

  it.each(cases)("%s", async (_name, args) => {
    const outcome = await interruptWhileRunning(args);
    expect(outcome.code, outcome.stderr).toBe(130);
    expect(outcome.afterSigintMs, outcome.stderr).toBeLessThan(DEADLINE_MS);
    expect(outcome.stderr).toContain("cancelling");
    expect(outcome.stderr).not.toContain("unexpected error");
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  it("a second Ctrl-C exits at once", async () => {
    const outcome = await interruptWhileRunning(
      [
        "attribute",
        "--model",
        stories,
        "Once upon a time",
        "--method",
        "integrated_gradients",
        "--n-steps",
        "5000",
      ],
      2,
    );
    expect(outcome.code, outcome.stderr).toBe(130);
    expect(outcome.afterSigintMs, outcome.stderr).toBeLessThan(DEADLINE_MS);
  });
});

describe("sizes above the limits are refused before any work (exit 3)", () => {
  const missing = "/nonexistent/no-such-model";
  for (const [what, args, message] of [
    [
      "attribute --n-steps 1e9",
      ["attribute", "--model", missing, "x", "--method", "integrated_gradients", "--n-steps", "1e9"],
      "n_steps: at most 10,000 steps",
    ],
    [
      "lime n_samples=1e8",
      ["attribute", "--model", missing, "x", "--method", "lime", "--param", "n_samples=1e8"],
      "n_samples",
    ],
    [
      "generate --max-new-tokens 1e9",
      ["generate", "--model", missing, "x", "--max-new-tokens", "1e9"],
      "--max-new-tokens is 1,000,000,000 tokens, above tokenscope's limit of 131,072",
    ],
  ] as const) {
    it(what, () => {
      const result = spawnSync(
        process.execPath,
        ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args],
        { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", TOKENSCOPE_PLUGINS: "" }, timeout: 30_000 },
      );
      expect(result.status, result.stderr).toBe(3);
      expect(result.stderr).toContain(message);
      // Refused before the (missing) model was looked at.
      expect(result.stderr).not.toContain("no-such-model");
    });
  }
});
