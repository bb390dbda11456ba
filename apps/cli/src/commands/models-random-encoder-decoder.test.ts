import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-models-random-seq2seq-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sizes = ["--layers", "2", "--hidden", "32", "--heads", "4", "--vocab", "300", "--seed", "5"];
const readJson = (folder: string, name: string) => JSON.parse(readFileSync(join(folder, name), "utf8"));

describe("tokenscope models random --arch (encoder-decoders)", () => {
  it("t5: writes a flan-t5-style folder (gated-gelu, untied), or T5 v1.0 with --feed-forward relu", async () => {
    const out = join(root, "t5");
    const io = memoryIO();
    expect(
      await run(["models", "random", "--arch", "t5", ...sizes, "--out", out, "--json"], io),
      io.err(),
    ).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({
      folder: out,
      config: { architecture: "t5", hiddenSize: 32, encoderLayers: 2, decoderLayers: 2, ffnSize: 64 },
    });
    expect(readdirSync(out)).toContain("tokenizer.json");
    expect(readJson(out, "config.json")).toMatchObject({
      model_type: "t5",
      architectures: ["T5ForConditionalGeneration"],
      feed_forward_proj: "gated-gelu",
      tie_word_embeddings: false,
      pad_token_id: 0,
      eos_token_id: 1,
      decoder_start_token_id: 0,
    });
    const relu = join(root, "t5-relu");
    const plain = memoryIO();
    expect(
      await run(
        [
          "models",
          "random",
          "--arch",
          "t5",
          ...sizes,
          "--feed-forward",
          "relu",
          "--intermediate",
          "48",
          "--out",
          relu,
        ],
        plain,
      ),
      plain.err(),
    ).toBe(0);
    expect(plain.out()).toContain(`wrote ${relu} (t5, 2 + 2 layers, hidden 32)`);
    expect(readJson(relu, "config.json")).toMatchObject({
      feed_forward_proj: "relu",
      d_ff: 48,
      tie_word_embeddings: true,
    });
  });

  it("marian: writes source.spm, target.spm and vocab.json, pad = start = vocab - 1", async () => {
    const out = join(root, "marian");
    const io = memoryIO();
    expect(await run(["models", "random", "--arch", "marian", ...sizes, "--out", out], io), io.err()).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      [
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "source.spm",
        "special_tokens_map.json",
        "target.spm",
        "tokenizer_config.json",
        "vocab.json",
      ].sort(),
    );
    expect(readJson(out, "config.json")).toMatchObject({
      model_type: "marian",
      architectures: ["MarianMTModel"],
      pad_token_id: 299,
      decoder_start_token_id: 299,
      eos_token_id: 0,
      scale_embedding: true,
      static_position_embeddings: true,
    });
  });

  it("lists the encoder-decoder families and --feed-forward in the help", async () => {
    const io = memoryIO();
    await run(["models", "random", "--help"], io);
    const help = io.out() + io.err();
    for (const word of ["bart", "mbart", "marian", "t5", "--feed-forward", "gated-gelu"])
      expect(help).toContain(word);
  });

  it("refuses the flags that do not apply, naming them, and writes nothing", async () => {
    const cases: [string[], string][] = [
      [["--arch", "bart", "--kv-heads", "2"], "models random: --kv-heads does not apply to --arch bart."],
      [
        ["--arch", "mbart", "--feed-forward", "relu"],
        "models random: --feed-forward does not apply to --arch mbart.",
      ],
      [
        ["--arch", "llama", "--feed-forward", "relu"],
        "models random: --feed-forward does not apply to --arch llama.",
      ],
      [["--arch", "t5", "--vocab", "50"], "--vocab 50 is too small for the t5 tokenizer"],
    ];
    for (const [flags, message] of cases) {
      const out = join(root, "refused");
      const io = memoryIO();
      expect(await run(["models", "random", ...sizes, ...flags, "--out", out], io)).toBe(3);
      expect(io.err()).toContain(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
