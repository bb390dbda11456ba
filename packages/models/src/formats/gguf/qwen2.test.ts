import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LanguageModel } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../../hf/write-random-folder.ts";
import { loadModel } from "../../load-model.ts";
import { ggufBpeTokenizer } from "../../tokenizers/gguf-bpe.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { ggufToDecoderWeights } from "./llama.ts";
import { writeQwen2Gguf } from "./qwen2-gguf.test-helpers.ts";
import { readGguf } from "./read.ts";
import { ggufValue } from "./write.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-qwen2-gguf-"));
// Texts both pre-tokenizers split alike (no digits, no "(word"): the HF folder's random tokenizer
// splits as GPT-2 does, the GGUF as Qwen2 does.
const texts = [
  "The river runs past the old mill and under the stone bridge.",
  "She said that the book was interesting, but he thought it was too long!",
  "<|im_start|>user\nWhere is the market?<|im_end|>\n",
];

let weights: DecoderWeights;
let tokenizer: { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> };
let hf: LanguageModel;
let gguf: LanguageModel;

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

async function logitsOf(model: LanguageModel, ids: number[]): Promise<Float32Array> {
  return (await model.forward!({ inputs: { ids: [ids] } })).logits.data as Float32Array;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

beforeAll(async () => {
  const folder = await writeRandomHfFolder({
    architecture: "qwen2",
    layers: 2,
    hidden: 64,
    heads: 4,
    kvHeads: 2,
    vocab: 512,
    seed: 18,
    out: join(root, "hf"),
  });
  weights = folder.weights;
  const read = (name: string) => JSON.parse(readFileSync(join(folder.folder, name), "utf8"));
  tokenizer = { tokenizerJson: read("tokenizer.json"), tokenizerConfig: read("tokenizer_config.json") };
  hf = await loadModel(folder.folder);
  gguf = await loadModel(writeFile("f32.gguf", writeQwen2Gguf(weights, tokenizer)));
}, 60_000);

afterAll(async () => {
  await hf?.dispose?.();
  await gguf?.dispose?.();
  rmSync(root, { recursive: true, force: true });
});

describe("GGUF qwen2", () => {
  it("reads the config of the safetensors folder: half-style RoPE, biases, tied embedding", async () => {
    const file = await readGguf(writeQwen2Gguf(weights, tokenizer), { source: "q.gguf" });
    const read = ggufToDecoderWeights(file);
    expect(read.config).toMatchObject({
      architecture: "qwen2",
      ropeStyle: "half",
      numHeads: 4,
      numKeyValueHeads: 2,
      headDim: 16,
      tieWordEmbeddings: weights.config.tieWordEmbeddings,
    });
    expect([...read.tensors.keys()].sort()).toEqual([...weights.tensors.keys()].sort());
    expect(read.tensors.get("model.layers.1.self_attn.k_proj.bias")!.data).toEqual(
      weights.tensors.get("model.layers.1.self_attn.k_proj.bias")!.data,
    );
  });

  it("tokenizes as the safetensors folder: the same ids and spans", async () => {
    for (const text of texts) {
      const a = await hf.tokenize(text);
      const b = await gguf.tokenize(text);
      expect(b.tokens.map((token) => [token.id, token.span])).toEqual(
        a.tokens.map((token) => [token.id, token.span]),
      );
      expect(b.tokens.length).toBeGreaterThan(3);
    }
  });

  it("splits digits one by one with the qwen2 pre-tokenizer, and as GPT-2 with gpt-2", async () => {
    const file = await readGguf(writeQwen2Gguf(weights, tokenizer), { source: "q.gguf" });
    const qwen2 = ggufBpeTokenizer(file.metadata);
    const digits = await qwen2.encode("In 1895 the train", { addSpecialTokens: false });
    expect(
      digits.filter((token) => /^\d$/.test(token.text.trim())).map((token) => token.text.trim()),
    ).toEqual(["1", "8", "9", "5"]);
    const gpt2File = await readGguf(writeQwen2Gguf(weights, tokenizer, { pre: "gpt-2" }));
    const gpt2 = ggufBpeTokenizer(gpt2File.metadata);
    const text = "In 1895 the town grew from about 2,000 people (or so).";
    const expected = await hf.tokenize(text);
    const got = await gpt2.encode(text, { addSpecialTokens: true });
    expect(got.map((token) => [token.id, token.span])).toEqual(
      expected.tokens.map((token) => [token.id, token.span]),
    );
  });

  it("gives the logits of the safetensors folder within 1e-5 and generates the same tokens", async () => {
    const ids = (await hf.tokenize(texts[0]!)).tokens.map((token) => token.id!);
    const worst = maxDifference(await logitsOf(hf, ids), await logitsOf(gguf, ids));
    console.info(`qwen2 GGUF F32 vs safetensors: max |Δlogit| = ${worst}`);
    expect(worst).toBeLessThan(1e-5);
    const a = await hf.generate!(ids, { maxNewTokens: 12 });
    const b = await gguf.generate!(ids, { maxNewTokens: 12 });
    expect(b.ids).toEqual(a.ids);
    expect(b.text).toBe(a.text);
  });

  it("Q8_0: close to the float model, exact against the float32 model of its dequantized values", async () => {
    const q8Bytes = writeQwen2Gguf(weights, tokenizer, { type: "Q8_0" });
    const dequantized = ggufToDecoderWeights(await readGguf(q8Bytes, { source: "q8.gguf" }));
    const q8 = await loadModel(writeFile("q8.gguf", q8Bytes));
    const exact = await loadModel(writeFile("q8-dequantized.gguf", writeQwen2Gguf(dequantized, tokenizer)));
    try {
      const ids = (await hf.tokenize(texts[1]!)).tokens.map((token) => token.id!);
      const q8Logits = await logitsOf(q8, ids);
      const toExact = maxDifference(q8Logits, await logitsOf(exact, ids));
      const toFloat = maxDifference(q8Logits, await logitsOf(hf, ids));
      console.info(`qwen2 GGUF Q8_0: vs dequantized F32 ${toExact}, vs float model ${toFloat}`);
      expect(toExact).toBe(0);
      expect(toFloat).toBeGreaterThan(0);
      expect(toFloat).toBeLessThan(0.05);
    } finally {
      await q8.dispose?.();
      await exact.dispose?.();
    }
  });

  it("refuses a file missing a bias, naming the tensor", async () => {
    const file = await readGguf(writeQwen2Gguf(weights, tokenizer, { omit: ["blk.1.attn_v.bias"] }), {
      source: "nobias.gguf",
    });
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("nobias.gguf: the qwen2 GGUF lacks tensor blk.1.attn_v.bias"),
      }),
    );
  });

  it("refuses a wrong head count, naming the key", async () => {
    const bytes = writeQwen2Gguf(weights, tokenizer, {
      metadata: { "qwen2.attention.head_count": ggufValue.uint32(2) },
    });
    await expect(loadModel(writeFile("heads.gguf", bytes))).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("qwen2.attention.head_count 2 gives heads of 32"),
    });
  });

  it("names the supported architectures for an unknown one", async () => {
    const bytes = writeQwen2Gguf(weights, tokenizer, {
      metadata: { "general.architecture": ggufValue.string("falcon") },
    });
    const file = await readGguf(bytes, { source: "falcon.gguf" });
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({
        code: "UNSUPPORTED_ARCHITECTURE",
        message: expect.stringContaining(
          'GGUF architecture "falcon" is not supported; supported: "llama", "qwen2", "gemma", "gemma2", "gemma3", "phi3".',
        ),
      }),
    );
  });
});
