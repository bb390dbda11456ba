import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { stories260kDir } from "../../testing/assets.test-helpers.ts";
import { randomDecoderWeights } from "../../testing/random-weights.ts";
import { referenceForward } from "../../testing/reference-llama.ts";
import { EMBED_TOKENS, expectedTensorDims, LM_HEAD } from "../../weights/names.ts";
import { withRopeStyle } from "../../weights/rope-permute.ts";
import { validateDecoderWeights } from "../../weights/validate.ts";
import { readLlama2cCheckpoint } from "./read-checkpoint.ts";
import { writeLlama2cCheckpoint } from "./write-checkpoint.ts";

const path = join(stories260kDir, "stories260K.bin");
const fileBytes = new Uint8Array(readFileSync(path));

function loadError(bytes: Uint8Array): { message: string; code: string } {
  try {
    readLlama2cCheckpoint(bytes, { source: "model.bin" });
  } catch (error) {
    if (isTokenscopeError(error)) return { message: error.message, code: error.code };
    throw error;
  }
  throw new Error("expected the read to fail");
}

describe("readLlama2cCheckpoint on stories260K", () => {
  const weights = readLlama2cCheckpoint(fileBytes, { source: path });

  it("reads the config from the header plus llama2.c's fixed constants", () => {
    expect(weights.config).toEqual({
      architecture: "llama",
      vocabSize: 512,
      hiddenSize: 64,
      intermediateSize: 172,
      numLayers: 5,
      numHeads: 8,
      numKeyValueHeads: 4,
      headDim: 8,
      contextLength: 512,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: "interleaved",
      tieWordEmbeddings: true,
      bosTokenId: 1,
      eosTokenId: 2,
    });
  });

  it("holds exactly the Hugging Face tensors of a tied 5-layer model", () => {
    expect(weights.tensors.size).toBe(47);
    expect(weights.tensors.has(LM_HEAD)).toBe(false);
    expect(() => validateDecoderWeights(weights, path)).not.toThrow();
    // The embedding is the first block after the 28-byte header.
    const view = new DataView(fileBytes.buffer, fileBytes.byteOffset);
    const embed = weights.tensors.get(EMBED_TOKENS)!.data;
    expect(embed[0]).toBe(view.getFloat32(28, true));
    expect(embed[512 * 64 - 1]).toBe(view.getFloat32(28 + (512 * 64 - 1) * 4, true));
  });

  it("writes back to the same bytes, RoPE tables within float32 rounding", () => {
    const written = writeLlama2cCheckpoint(weights);
    expect(written.byteLength).toBe(fileBytes.byteLength);
    const ropeStart = fileBytes.byteLength - 2 * 512 * 4 * 4;
    expect(
      Buffer.from(written.subarray(0, ropeStart)).equals(Buffer.from(fileBytes.subarray(0, ropeStart))),
    ).toBe(true);
    const ours = new Float32Array(written.slice(ropeStart).buffer);
    const theirs = new Float32Array(fileBytes.slice(ropeStart).buffer);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

describe("llama2.c write and read round trip", () => {
  for (const version of [0, 1] as const) {
    for (const tied of [true, false]) {
      it(`version ${version}, ${tied ? "tied" : "separate"} output: identical tensors`, () => {
        const original = randomDecoderWeights({ tieWordEmbeddings: tied }, 7);
        const read = readLlama2cCheckpoint(writeLlama2cCheckpoint(original, { version }));
        expect(read.config).toEqual(original.config);
        expect([...read.tensors.keys()].sort()).toEqual(
          [...expectedTensorDims(original.config).keys()].sort(),
        );
        for (const [name, tensor] of original.tensors) {
          expect(read.tensors.get(name)!.dims).toEqual(tensor.dims);
          expect(read.tensors.get(name)!.data).toEqual(tensor.data);
        }
      });
    }
  }

  it("refuses weights llama2.c cannot represent", () => {
    const half = withRopeStyle(randomDecoderWeights({}, 3), "half");
    expect(() => writeLlama2cCheckpoint(half)).toThrow(/RoPE style "half"/);
    // The same model converted back is writable, and computes the same logits.
    const back = readLlama2cCheckpoint(writeLlama2cCheckpoint(withRopeStyle(half, "interleaved")));
    const a = referenceForward(half, [1, 5, 9]).data;
    const b = referenceForward(back, [1, 5, 9]).data;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 9);
  });
});

describe("readLlama2cCheckpoint on bad files", () => {
  it("names the file and the missing bytes when truncated", () => {
    const error = loadError(fileBytes.subarray(0, fileBytes.byteLength - 1000));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("model.bin");
    expect(error.message).toContain(
      `calls for ${fileBytes.byteLength} bytes but the file has ${fileBytes.byteLength - 1000}`,
    );
    expect(error.message).toContain("truncated");
  });

  it("rejects trailing bytes", () => {
    const longer = new Uint8Array(fileBytes.byteLength + 8);
    longer.set(fileBytes);
    expect(loadError(longer).message).toContain("trailing data");
  });

  it("rejects a file shorter than the header", () => {
    expect(loadError(fileBytes.subarray(0, 20)).message).toMatch(
      /model\.bin: the file has 20 bytes, fewer than the 28-byte header/,
    );
  });

  it("rejects a header whose heads do not divide", () => {
    const bad = fileBytes.slice();
    new DataView(bad.buffer).setInt32(16, 3, true); // 8 query heads over 3 kv heads
    expect(loadError(bad).message).toContain("8 query heads cannot be grouped over 3 key/value heads");
  });

  it("names a Git LFS pointer instead of weights (was: headDim must be a positive integer, got 2.4467)", () => {
    const pointer = new TextEncoder().encode(
      "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1064896\n",
    );
    const error = loadError(pointer);
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("model.bin is a Git LFS pointer, not the file: run git lfs pull");
    expect(error.message).toContain("1,064,896 bytes");
    expect(error.message).not.toContain("headDim");
  });

  /** stories260K's bytes with header int32 `index` (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, seq_len) set. */
  function withHeader(index: number, value: number): Uint8Array {
    const bad = fileBytes.slice();
    new DataView(bad.buffer).setInt32(index * 4, value, true);
    return bad;
  }

  it("refuses 1e9 layers at once, before computing or allocating anything, naming n_layers and the limit", () => {
    const started = performance.now();
    const error = loadError(withHeader(2, 1e9));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(
      "model.bin: n_layers is 1,000,000,000 layers, above tokenscope's limit of 1,024",
    );
  });

  it.each([
    [0, -64, "the header's dim is -64, not a positive size"],
    [1, 0, "the header's hidden_dim is 0, not a positive size"],
    [3, 0, "the header's n_heads is 0, not a positive size"],
    [5, 0, "the header's vocab_size is 0, not a positive size"],
    [0, 60, "the header's dim 60 is not a multiple of n_heads 8"],
    [0, 2 ** 30, "dim is 1,073,741,824 units, above tokenscope's limit"],
    [5, 2 ** 30, "vocab_size is 1,073,741,824 tokens, above tokenscope's limit"],
  ])("refuses header field %i = %i: %s", (index, value, problem) => {
    const error = loadError(withHeader(index, value));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(problem);
  });

  it("rejects llama2.c's int8 version-2 export with a hint", () => {
    const bad = new Uint8Array(256);
    const view = new DataView(bad.buffer);
    view.setUint32(0, 0x616b3432, true);
    view.setInt32(4, 2, true);
    expect(loadError(bad).message).toContain("export version 2 is not supported");
  });
});
