import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-models-random-opt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sizes = ["--layers", "2", "--hidden", "32", "--heads", "4", "--vocab", "300", "--seed", "5"];

describe("tokenscope models random --arch opt, opt-350m's shape", () => {
  it("writes narrower token embeddings and post-norm layers, and models inspect shows both widths", async () => {
    const out = join(root, "opt-350m");
    const io = memoryIO();
    const flags = ["--word-embedding-size", "16", "--post-norm", "--out", out];
    expect(await run(["models", "random", "--arch", "opt", ...sizes, ...flags], io), io.err()).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({
      model_type: "opt",
      hidden_size: 32,
      word_embed_proj_dim: 16,
      do_layer_norm_before: false,
    });
    const inspect = memoryIO();
    expect(await run(["models", "inspect", out], inspect), inspect.err()).toBe(0);
    expect(inspect.out()).toMatch(/hidden size\s+32 \(token embeddings 16\)/);
  });

  it("refuses the OPT-only flags for another architecture, naming the flag", async () => {
    const io = memoryIO();
    const out = join(root, "llama");
    expect(
      await run(["models", "random", "--arch", "llama", ...sizes, "--post-norm", "--out", out], io),
    ).not.toBe(0);
    expect(io.err()).toContain("--post-norm");
  });
});
