import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { onceUponATimeIds, sharedDataDir, stories260kDir } from "../../testing/assets.test-helpers.ts";
import { randomDecoderWeights } from "../../testing/random-weights.ts";
import { referenceForward } from "../../testing/reference-llama.ts";
import { ggufLlamaTokenizer } from "../../tokenizers/gguf-llama.ts";
import { readLlama2cTokenizer, readLlama2cVocabulary } from "../../tokenizers/llama2c.ts";
import { EMBED_TOKENS, LM_HEAD } from "../../weights/names.ts";
import { withRopeStyle } from "../../weights/rope-permute.ts";
import type { DecoderWeights } from "../../weights/types.ts";
import { loadGguf, loadGgufWeights, loadLlama2cCheckpoint } from "../node-loaders.ts";
import { ggufToDecoderWeights } from "./llama.ts";
import { writeLlamaGguf } from "./llama-write.ts";
import { readGguf, readGgufTensor } from "./read.ts";

const ggufPath = join(stories260kDir, "stories260K.gguf");
const tokenizerBytes = new Uint8Array(readFileSync(join(stories260kDir, "tok512.bin")));
const bits = (data: Float32Array) => new Uint32Array(data.buffer, data.byteOffset, data.length);
/** Index of the first value whose bits differ (or -1): a fast exact comparison of large tensors. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [bits(a), bits(b)];
  return a.length !== b.length ? 0 : x.findIndex((word, i) => word !== y[i]);
}

describe("stories260K.gguf", async () => {
  const fromGguf = await loadGgufWeights(ggufPath);
  const fromBin = await loadLlama2cCheckpoint(join(stories260kDir, "stories260K.bin"));

  it("has tensors bit-identical to the llama2.c checkpoint", () => {
    for (const [name, tensor] of fromBin.tensors) {
      const other = fromGguf.tensors.get(name);
      expect(other?.dims, name).toEqual(tensor.dims);
      expect(firstBitDifference(other!.data, tensor.data), name).toBe(-1);
    }
    // The GGUF stores the shared output matrix as a separate copy of the embedding.
    expect(
      firstBitDifference(fromGguf.tensors.get(LM_HEAD)!.data, fromBin.tensors.get(EMBED_TOKENS)!.data),
    ).toBe(-1);
    expect(fromGguf.tensors.size).toBe(fromBin.tensors.size + 1);
  });

  it("has the same config, but for the stored context length and the untied output copy", () => {
    expect(fromGguf.config).toEqual({ ...fromBin.config, contextLength: 2048, tieWordEmbeddings: false });
  });

  it("has a tokenizer that encodes and decodes like tok512.bin", async () => {
    const file = await loadGguf(ggufPath);
    const fromMetadata = ggufLlamaTokenizer(file.metadata, ggufPath);
    const reference = readLlama2cTokenizer(tokenizerBytes);
    expect(fromMetadata.encodeIds("Once upon a time", { addBos: true })).toEqual(onceUponATimeIds);
    const lines = ["wikitext.txt", "tellmewhy2.txt"].flatMap((name) =>
      readFileSync(join(sharedDataDir, "reagent", name), "utf8").split("\n"),
    );
    for (const text of [...lines, "café ☕ 日本", "emoji 🙂 <0x41> <s>", ""]) {
      const tokens = fromMetadata.encode(text, { addBos: true });
      expect(tokens, text).toEqual(reference.encode(text, { addBos: true }));
      expect(fromMetadata.decode(tokens.map((token) => token.id!))).toBe(text);
    }
  });
});

/** A random model whose matrices have rows of 64 and 96 values, so that every matrix can be quantized. */
const quantizable = randomDecoderWeights(
  { vocabSize: 48, hiddenSize: 64, intermediateSize: 96, numHeads: 4, numKeyValueHeads: 2, headDim: 16 },
  11,
);

async function roundTrip(
  weights: DecoderWeights,
  type: "F32" | "F16" | "Q8_0" | "Q4_0",
): Promise<DecoderWeights> {
  return ggufToDecoderWeights(await readGguf(writeLlamaGguf(weights, { type }), { source: `${type}.gguf` }));
}

describe("GGUF writer → reader round trip", () => {
  it("is exact in F32, config included", async () => {
    const read = await roundTrip(quantizable, "F32");
    expect(read.config).toEqual(quantizable.config);
    for (const [name, tensor] of quantizable.tensors) {
      expect(firstBitDifference(read.tensors.get(name)!.data, tensor.data), name).toBe(-1);
    }
  });

  it("is within 1e-3 in F16", async () => {
    const read = await roundTrip(quantizable, "F16");
    let worst = 0;
    for (const [name, tensor] of quantizable.tensors) {
      const data = read.tensors.get(name)!.data;
      tensor.data.forEach((value, i) => {
        worst = Math.max(worst, Math.abs(data[i]! - value));
      });
    }
    expect(worst).toBeLessThan(1e-3);
    expect(worst).toBeGreaterThan(0);
  });

  for (const [type, levels] of [
    ["Q8_0", 127],
    ["Q4_0", 8],
  ] as const) {
    it(`is within each block's max |x| / ${levels} in ${type}, and not exact`, async () => {
      const read = await roundTrip(quantizable, type);
      let worst = 0;
      for (const [name, tensor] of quantizable.tensors) {
        const data = read.tensors.get(name)!.data;
        if (tensor.dims.length === 1) {
          expect(firstBitDifference(data, tensor.data), `${name} stays F32`).toBe(-1);
          continue;
        }
        for (let block = 0; block < tensor.data.length / 32; block++) {
          const values = tensor.data.subarray(block * 32, (block + 1) * 32);
          const bound = values.reduce((max, v) => Math.max(max, Math.abs(v)), 0) / levels;
          values.forEach((value, j) => {
            worst = Math.max(worst, Math.abs(data[block * 32 + j]! - value) / bound);
          });
        }
      }
      expect(worst).toBeLessThanOrEqual(1);
      // Rounding to the grid costs about half a level somewhere: a sign the data really went through it.
      expect(worst).toBeGreaterThan(0.3);
    });
  }

  it("stores half-style RoPE weights in Meta's layout without changing the logits", async () => {
    const half = withRopeStyle(quantizable, "half");
    const read = await roundTrip(half, "F32");
    expect(read.config.ropeStyle).toBe("interleaved");
    const ids = [1, 7, 30, 2, 45];
    const expected = referenceForward(half, ids).data;
    const actual = referenceForward(read, ids).data;
    const maxDiff = expected.reduce((max, value, i) => Math.max(max, Math.abs(actual[i]! - value)), 0);
    expect(maxDiff).toBeLessThan(1e-9);
  });

  it("round-trips the tokenizer metadata", async () => {
    const vocabulary = readLlama2cVocabulary(tokenizerBytes);
    const weights = randomDecoderWeights({ vocabSize: 512 }, 5);
    const file = await readGguf(writeLlamaGguf(weights, { vocabulary }));
    const tokenizer = ggufLlamaTokenizer(file.metadata);
    const reference = readLlama2cTokenizer(tokenizerBytes);
    for (const text of ["Once upon a time", "café ☕ 日本", " leading and trailing "]) {
      expect(tokenizer.encode(text, { addBos: true })).toEqual(reference.encode(text, { addBos: true }));
    }
    expect(file.metadata["tokenizer.ggml.tokens"]).toContain("\u2581Once");
  });
});

describe("GGUF reader on bad input", () => {
  it("fails with MODEL_LOAD_FAILED on bytes that are not GGUF", async () => {
    await expect(
      readGguf(new TextEncoder().encode("not a gguf file at all"), { source: "x.gguf" }),
    ).rejects.toThrow(/^x\.gguf: not a readable GGUF file/);
  });

  it("names the tensor that runs past the end of a truncated file", async () => {
    const bytes = writeLlamaGguf(quantizable);
    await expect(
      readGguf(bytes.subarray(0, bytes.byteLength - 100), { source: "cut.gguf" }),
    ).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringMatching(/cut\.gguf: tensor "output\.weight" .* past the end/),
    });
  });

  it("names a GGML type it cannot dequantize", async () => {
    const file = await readGguf(writeLlamaGguf(quantizable));
    file.tensors.get("token_embd.weight")!.typeId = 16; // IQ2_XXS
    expect(() => readGgufTensor(file, "token_embd.weight")).toThrow(
      /GGML type 16, which tokenscope cannot dequantize \(IQ2_XXS;/,
    );
  });

  it("names a Git LFS pointer instead of the file", async () => {
    const pointer = new TextEncoder().encode(
      "version https://git-lfs.github.com/spec/v1\noid sha256:5f2c3f1e\nsize 2048000\n",
    );
    await expect(readGguf(pointer, { source: "model.gguf" })).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("model.gguf is a Git LFS pointer, not the file: run git lfs pull"),
    });
  });

  it("refuses 1e9 blocks from the metadata before reading any tensor (was: an endless expected-tensor list)", async () => {
    const file = await readGguf(writeLlamaGguf(quantizable), { source: "big.gguf" });
    file.metadata["llama.block_count"] = 1_000_000_000;
    const started = performance.now();
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({
        code: "MODEL_LOAD_FAILED",
        message: expect.stringContaining("big.gguf: llama.block_count is 1,000,000,000 layers"),
      }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses metadata calling for more weights than the file holds, before dequantizing", async () => {
    const file = await readGguf(writeLlamaGguf(quantizable), { source: "small.gguf" });
    file.metadata["llama.block_count"] = 1000;
    expect(() => ggufToDecoderWeights(file)).toThrow(
      /small\.gguf: the config \(1000 layers.*calls for at least .* bytes, but the weights have/,
    );
  });

  it("refuses sizes that make no model, in the metadata's names", async () => {
    const file = await readGguf(writeLlamaGguf(quantizable), { source: "odd.gguf" });
    const hidden = Number(file.metadata["llama.embedding_length"]);
    const heads = file.metadata["llama.attention.head_count"];
    file.metadata["llama.attention.head_count"] = hidden - 1;
    expect(() => ggufToDecoderWeights(file)).toThrow(
      `odd.gguf: llama.embedding_length ${hidden} is not a multiple of llama.attention.head_count ${hidden - 1}`,
    );
    file.metadata["llama.attention.head_count"] = 0;
    expect(() => ggufToDecoderWeights(file)).toThrow(
      "odd.gguf: llama.attention.head_count must be a positive integer, got 0",
    );
    file.metadata["llama.attention.head_count"] = heads;
    file.metadata["llama.block_count"] = -2;
    expect(() => ggufToDecoderWeights(file)).toThrow("llama.block_count must be a positive integer, got -2");
  });

  it("refuses other architectures with UNSUPPORTED_ARCHITECTURE", async () => {
    const file = await readGguf(writeLlamaGguf(quantizable));
    file.metadata["general.architecture"] = "gpt2";
    expect(() => ggufToDecoderWeights(file)).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARCHITECTURE" }),
    );
  });
});
