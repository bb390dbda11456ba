import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `models inspect`, `generate` and `attribute` on Hugging Face encoder-decoder folders that
// `models random` wrote: the commands run unchanged on them.
const root = mkdtempSync(join(tmpdir(), "tokenscope-cli-seq2seq-"));
const mbart = join(root, "mbart");
const t5 = join(root, "t5");
const sizes = ["--layers", "2", "--hidden", "32", "--heads", "4", "--vocab", "300", "--seed", "2"];

beforeAll(async () => {
  for (const [arch, out] of [
    ["mbart", mbart],
    ["t5", t5],
  ] as const) {
    const io = memoryIO();
    expect(await run(["models", "random", "--arch", arch, ...sizes, "--out", out], io), io.err()).toBe(0);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the CLI on Hugging Face encoder-decoder folders", () => {
  it("models inspect shows the encoder, the decoder and mBART's target languages", async () => {
    const io = memoryIO();
    expect(await run(["models", "inspect", mbart], io), io.err()).toBe(0);
    expect(io.out()).toMatch(/architecture\s+mbart \(encoder-decoder\)/);
    expect(io.out()).toMatch(/encoder layers\s+2/);
    expect(io.out()).toMatch(/languages\s+en_XX fr_XX de_DE ro_RO/);
  });

  it("generate --target-lang forces the language's token first; an unknown language is a usage error", async () => {
    const io = memoryIO();
    expect(
      await run(
        ["generate", "--model", mbart, "the river", "--max-new-tokens", "3", "--target-lang", "de", "--json"],
        io,
      ),
      io.err(),
    ).toBe(0);
    const inspect = memoryIO();
    await run(["models", "inspect", mbart, "--json"], inspect);
    const codes = JSON.parse(inspect.out()).languageCodes as Record<string, number>;
    expect(JSON.parse(io.out()).generated.ids[0]).toBe(codes["de_DE"]);
    const bad = memoryIO();
    expect(await run(["generate", "--model", mbart, "the river", "--target-lang", "ja"], bad)).not.toBe(0);
    expect(bad.err()).toContain("fr_XX");
  });

  it("attribute on T5 prints a heatmap whose columns are the source tokens, </s> included", async () => {
    const io = memoryIO();
    expect(
      await run(["attribute", "--model", t5, "the market", "--method", "saliency", "--target", "opens"], io),
      io.err(),
    ).toBe(0);
    expect(io.out()).toContain("</s>");
    expect(io.out()).toMatch(/│\s+the\s/);
  });
});
