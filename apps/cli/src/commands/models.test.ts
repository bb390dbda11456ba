import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const folder = mkdtempSync(join(tmpdir(), "tokenscope-models-cli-"));

describe("tokenscope models random", () => {
  it("writes a folder per family that loads back, generates and attributes", async () => {
    for (const arch of ["llama", "gpt2", "gpt_neox", "qwen3", "gemma2", "gemma3_text", "phi3", "opt"]) {
      const out = join(folder, arch);
      const kvHeads = ["llama", "qwen3", "gemma2", "gemma3_text", "phi3"].includes(arch)
        ? ["--kv-heads", "2"]
        : [];
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

  it("--dtype bfloat16 stores the float32 weights rounded to bfloat16, and the folder runs", async () => {
    const write = async (dtype: string) => {
      const out = join(folder, `dtype-${dtype}`);
      const args = ["models", "random", "--arch", "qwen2", "--layers", "1", "--hidden", "32", "--heads", "4"];
      const io = memoryIO();
      const rest = ["--kv-heads", "2", "--vocab", "300", "--seed", "4", "--dtype", dtype, "--out", out];
      expect(await run([...args, ...rest], io), io.err()).toBe(0);
      return out;
    };
    /** The safetensors header and data section, read by hand (u64 header length, JSON, data). */
    const tensors = (out: string) => {
      const bytes = readFileSync(join(out, "model.safetensors"));
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
      delete header.__metadata__;
      return { header, data: bytes.subarray(8 + headerLength) };
    };
    const full = tensors(await write("float32"));
    const out = await write("bfloat16");
    const half = tensors(out);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).torch_dtype).toBe("bfloat16");
    expect(Object.keys(half.header).sort()).toEqual(Object.keys(full.header).sort());
    for (const [name, entry] of Object.entries<{ dtype: string; data_offsets: [number, number] }>(
      half.header,
    )) {
      expect(entry.dtype, name).toBe("BF16");
      const [from] = full.header[name].data_offsets as [number, number];
      const [start, end] = entry.data_offsets;
      for (let i = 0; i < (end - start) / 2; i++) {
        // Round to nearest even on the top 16 bits of the float32 pattern.
        const bits = full.data.readUInt32LE(from + 4 * i);
        const rounded = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
        expect(half.data.readUInt16LE(start + 2 * i), `${name}[${i}]`).toBe(rounded);
      }
    }
    const io = memoryIO();
    expect(await run(["generate", "--model", out, "hello", "--max-new-tokens", "3", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out()).generated.ids).toHaveLength(3);
  });

  it("reports an unknown hub id offline as a load failure (4)", async () => {
    const io = memoryIO();
    expect(await run(["models", "inspect", "nobody/no-such-model", "--offline"], io)).toBe(4);
    expect(io.err()).toContain("MODEL_LOAD_FAILED");
  });
});
