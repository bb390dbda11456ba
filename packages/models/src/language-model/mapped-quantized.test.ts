import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KType, quantizeK } from "../formats/gguf/k-quants.test-helpers.ts";
import { ggufToDecoderWeights } from "../formats/gguf/llama.ts";
import { llamaGgufInput, writeLlamaGguf } from "../formats/gguf/llama-write.ts";
import { readGguf } from "../formats/gguf/read.ts";
import { writeGguf } from "../formats/gguf/write.ts";
import { openWeightFileStorage } from "../runtime/weight-file-storage.ts";
import { relativeDifference } from "../testing/differences.test-helpers.ts";
import { randomDecoderWeights } from "../testing/random-weights.ts";
import { idTextTokenizer } from "./id-tokenizer.test-helpers.ts";
import { createOnnxLanguageModel } from "./onnx-language-model.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-mapped-quantized-"));
beforeAll(() => registerCoreBuiltins());
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Rows of 128 and 384 values (whole blocks of 32); matrices of 64 KiB and more go to the weight file.
const weights = randomDecoderWeights(
  {
    vocabSize: 512,
    hiddenSize: 128,
    intermediateSize: 384,
    numHeads: 4,
    numKeyValueHeads: 2,
    headDim: 32,
    numLayers: 2,
  },
  5,
);

/**
 * The GGUF `gguf` loaded twice, each model over its own weight file in `root`: `narrow` files the
 * matrices as the GGUF stores them, `wide` widens them at load. Returns the models and their folders.
 */
async function narrowAndWide(gguf: Uint8Array, name: string, vocab: number) {
  const read = async () => ggufToDecoderWeights(await readGguf(gguf, { source: `${name}.gguf` }));
  const common = {
    id: name,
    tokenizer: idTextTokenizer(vocab),
    runtime: createOnnxruntimeNodeRuntime(),
    sessionOptions: { intraOpThreads: 1 },
  };
  const folder = (kind: string) => join(root, `${name}-${kind}`);
  const narrow = createOnnxLanguageModel({
    ...common,
    weights: await read(),
    weightStorage: openWeightFileStorage(folder("narrow")),
  });
  const wide = createOnnxLanguageModel({
    ...common,
    weights: await read(),
    weightStorage: openWeightFileStorage(folder("wide")),
    weightPrecision: "float32",
  });
  const size = (kind: string) => statSync(join(folder(kind), readdirSync(folder(kind))[0]!)).size;
  return { narrow, wide, size };
}

describe.each([
  ["Q8_0", 1 + 4 / 32],
  ["Q4_0", 1 + 4 / 32],
  ["F16", 2],
] as const)("mapped GGUF %s weights", (type, bytesPerWeight) => {
  it("stay narrow in the weight file and give the widened model's logits, gradients and generation", async () => {
    const { narrow, wide, size } = await narrowAndWide(writeLlamaGguf(weights, { type }), type, 512);
    const models: LanguageModel[] = [narrow, wide];
    try {
      const ids = [1, 17, 300, 42, 99, 7, 250, 3];
      const logits = await Promise.all(models.map((m) => m.forward!({ inputs: { ids: [ids] } })));
      expect(relativeDifference(logits[0]!.logits.data, logits[1]!.logits.data)).toBeLessThan(1e-6);
      const positions = [5, 6];
      const request = {
        inputs: { ids: positions.map(() => ids) },
        objective: {
          kind: "stepFunction" as const,
          stepFunction: "logprob",
          positions,
          targetIds: positions.map((p) => ids[p + 1]!),
        },
        wrt: { kind: "embeddings" as const },
      };
      const gradients = await Promise.all(models.map((m) => m.gradients!(request)));
      expect(relativeDifference(gradients[0]!.gradients.data, gradients[1]!.gradients.data)).toBeLessThan(
        1e-5,
      );
      const embedded = await Promise.all(models.map((m) => m.embed!([ids])));
      expect(Array.from(embedded[0]!.data)).toEqual(Array.from(embedded[1]!.data));
      const generated = await Promise.all(models.map((m) => m.generate!(ids, { maxNewTokens: 5 })));
      expect(generated[0]!.ids).toEqual(generated[1]!.ids);

      // The narrow file holds every filed matrix in its GGUF precision: int8 values with an fp32 scale
      // per block of 32 (Q4_0's nibbles widened to int8), or fp16 bits; the wide one fp32. (The k and
      // v projections, [64, 128], are under the 64 KiB threshold and stay inline.)
      const { hiddenSize: h, intermediateSize: f, vocabSize: v, numLayers: layers } = weights.config;
      const elements = layers * (2 * h * h + 3 * h * f) + 2 * v * h;
      expect(size("narrow") / elements).toBeGreaterThanOrEqual(bytesPerWeight);
      expect(size("narrow") / elements).toBeLessThan(bytesPerWeight * 1.1);
      expect(size("wide") / elements).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(models.map((m) => m.dispose?.()));
    }
  });
});

describe("mapped K-quant GGUF weights", () => {
  // Rows of 256 values: every matrix can be a K-quant. Q6_K and Q3_K (a step per 16 values) and Q8_K
  // stay int8 blocks; Q4_K subtracts a min per block and is widened at load.
  const wide256 = randomDecoderWeights(
    {
      vocabSize: 300,
      hiddenSize: 256,
      intermediateSize: 256,
      numHeads: 4,
      numKeyValueHeads: 2,
      headDim: 64,
      numLayers: 2,
    },
    9,
  );
  const typeOf = (name: string): KType =>
    name === "output.weight"
      ? "Q6_K"
      : name.includes("attn_v")
        ? "Q8_K"
        : name.includes("ffn")
          ? "Q3_K"
          : "Q4_K";

  it("keep Q3_K, Q6_K and Q8_K narrow and give the widened model's logits and gradients", async () => {
    const input = llamaGgufInput(wide256);
    const gguf = writeGguf({
      metadata: input.metadata,
      tensors: input.tensors.map((tensor) => {
        if (tensor.dims.length !== 2 || !("data" in tensor)) return tensor;
        const type = typeOf(tensor.name);
        return { name: tensor.name, dims: tensor.dims, type, bytes: quantizeK(type, tensor.data).bytes };
      }),
    });
    const { narrow, wide, size } = await narrowAndWide(gguf, "k", 300);
    try {
      const ids = [1, 17, 200, 42, 99, 7, 250, 3];
      const [a, b] = await Promise.all([narrow, wide].map((m) => m.forward!({ inputs: { ids: [ids] } })));
      expect(relativeDifference(a!.logits.data, b!.logits.data)).toBeLessThan(1e-6);
      const request = {
        inputs: { ids: [ids] },
        objective: { kind: "stepFunction" as const, stepFunction: "logprob", positions: [6], targetIds: [3] },
        wrt: { kind: "embeddings" as const },
      };
      const [ga, gb] = await Promise.all([narrow, wide].map((m) => m.gradients!(request)));
      expect(relativeDifference(ga!.gradients.data, gb!.gradients.data)).toBeLessThan(1e-5);
      // q, k, o and the embedding stay fp32 (Q4_K); v (Q8_K), the feed-forward (Q3_K) and the output
      // (Q6_K) are int8 with a scale per 256 or 16 values.
      const { hiddenSize: h, intermediateSize: f, vocabSize: v, numLayers: layers } = wide256.config;
      const fp32 = layers * (2 * h * h + h * 128) + v * h;
      const int8 =
        layers * (3 * h * f) * (1 + 4 / 16) + layers * (h * 128) * (1 + 4 / 256) + v * h * (1 + 4 / 16);
      expect(size("narrow")).toBeGreaterThanOrEqual(4 * fp32 + int8);
      expect(size("narrow")).toBeLessThan((4 * fp32 + int8) * 1.05);
    } finally {
      await Promise.all([narrow, wide].map((m) => m.dispose?.()));
    }
  });
});
