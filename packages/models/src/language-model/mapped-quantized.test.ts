import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ggufToDecoderWeights } from "../formats/gguf/llama.ts";
import { writeLlamaGguf } from "../formats/gguf/llama-write.ts";
import { readGguf } from "../formats/gguf/read.ts";
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

describe.each([
  ["Q8_0", 1 + 4 / 32],
  ["Q4_0", 1 + 4 / 32],
  ["F16", 2],
] as const)("mapped GGUF %s weights", (type, bytesPerWeight) => {
  it("stay narrow in the weight file and give the widened model's logits, gradients and generation", async () => {
    const gguf = writeLlamaGguf(weights, { type });
    const read = async () => ggufToDecoderWeights(await readGguf(gguf, { source: `${type}.gguf` }));
    const runtime = createOnnxruntimeNodeRuntime();
    const common = {
      id: type,
      tokenizer: idTextTokenizer(512),
      runtime,
      sessionOptions: { intraOpThreads: 1 },
    };
    const folder = (name: string) => join(root, `${type}-${name}`);
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
      const size = (name: string) => statSync(join(folder(name), readdirSync(folder(name))[0]!)).size;
      expect(size("narrow") / elements).toBeGreaterThanOrEqual(bytesPerWeight);
      expect(size("narrow") / elements).toBeLessThan(bytesPerWeight * 1.1);
      expect(size("wide") / elements).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(models.map((m) => m.dispose?.()));
    }
  });
});
