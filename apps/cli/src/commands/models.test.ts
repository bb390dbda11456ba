import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const folder = mkdtempSync(join(tmpdir(), "tokenscope-models-cli-"));

describe("tokenscope models random", () => {
  it("writes a folder per family that loads back, generates and attributes", async () => {
    for (const arch of ["llama", "gpt2", "gpt_neox", "qwen3", "gemma2", "phi3", "opt"]) {
      const out = join(folder, arch);
      const kvHeads = ["llama", "qwen3", "gemma2", "phi3"].includes(arch) ? ["--kv-heads", "2"] : [];
      const written = memoryIO();
      const args = [
        "models",
        "random",
        "--arch",
        arch,
        "--layers",
        "2",
        "--hidden",
        "32",
        "--heads",
        "4",
        ...kvHeads,
        "--vocab",
        "300",
        "--seed",
        "3",
        "--out",
        out,
      ];
      expect(await run(args, written), written.err()).toBe(0);
      const inspected = memoryIO();
      expect(await run(["models", "inspect", out, "--json"], inspected)).toBe(0);
      expect(JSON.parse(inspected.out())).toMatchObject({
        architecture: arch,
        numLayers: 2,
        hiddenSize: 32,
        vocabSize: 300,
      });
      const attributed = memoryIO();
      expect(
        await run(
          ["attribute", "--model", out, "the cat sat", "--max-new-tokens", "3", "--json"],
          attributed,
        ),
        attributed.err(),
      ).toBe(0);
      const result = JSON.parse(attributed.out());
      expect(result.sequences[0].sourceAttributions).toHaveLength(result.sequences[0].target.length);
    }
  });

  it("is deterministic for a seed", async () => {
    const outputs: string[] = [];
    for (const name of ["a", "b"]) {
      const out = join(folder, `seeded-${name}`);
      expect(
        await run(
          [
            "models",
            "random",
            "--arch",
            "llama",
            "--layers",
            "1",
            "--hidden",
            "32",
            "--heads",
            "2",
            "--vocab",
            "300",
            "--seed",
            "9",
            "--out",
            out,
          ],
          memoryIO(),
        ),
      ).toBe(0);
      const io = memoryIO();
      expect(await run(["generate", "--model", out, "hello", "--max-new-tokens", "5", "--json"], io)).toBe(0);
      outputs.push(JSON.parse(io.out()).generated.ids.join());
    }
    expect(outputs[0]).toBe(outputs[1]);
  });

  it("reports an unknown hub id offline as a load failure (4)", async () => {
    const io = memoryIO();
    expect(await run(["models", "inspect", "nobody/no-such-model", "--offline"], io)).toBe(4);
    expect(io.err()).toContain("MODEL_LOAD_FAILED");
  });
});
