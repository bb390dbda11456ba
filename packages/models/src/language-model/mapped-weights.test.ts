import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LanguageModel, registerCoreBuiltins } from "@tokenscope/core";
import { createOnnxruntimeWebNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { relativeDifference } from "../testing/differences.test-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-mapped-weights-"));
beforeAll(() => registerCoreBuiltins());
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Matrices of 128 × 128 floats and more (64 KiB): every one goes to the weight file.
describe.each([
  ["llama", "F32"],
  ["gpt2", "F32"],
  ["llama", "BF16"],
  ["gpt2", "F16"],
] as const)("mapped weights (%s, %s): one file the sessions map", (architecture, dtype) => {
  it("gives the in-memory model's logits, gradients and generation, and deletes its file on dispose", async () => {
    const { folder, config } = await writeRandomHfFolder({
      architecture,
      dtype,
      layers: 2,
      hidden: 128,
      heads: 4,
      vocab: 512,
      intermediate: 384,
      seed: 11,
      out: join(root, `${architecture}-${dtype}`),
    });
    const weightsDir = join(root, `${architecture}-${dtype}-weights`);
    const inMemory = await loadModel(folder, { mapWeights: false, threads: 1 });
    const mapped = await loadModel(folder, { mapWeights: true, weightsDir, threads: 1 });
    const models: LanguageModel[] = [inMemory, mapped];
    try {
      const ids = (await inMemory.tokenize("the weights live in one file")).tokens.flatMap((t) =>
        t.id === null ? [] : [t.id],
      );
      const logits = await Promise.all(models.map((m) => m.forward!({ inputs: { ids: [ids] } })));
      expect(relativeDifference(logits[1]!.logits.data, logits[0]!.logits.data)).toBeLessThan(1e-6);

      const positions = [ids.length - 3, ids.length - 2];
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
      expect(relativeDifference(gradients[1]!.gradients.data, gradients[0]!.gradients.data)).toBeLessThan(
        1e-5,
      );
      expect(relativeDifference(gradients[1]!.objective, gradients[0]!.objective)).toBeLessThan(1e-6);

      const generated = await Promise.all(models.map((m) => m.generate!(ids, { maxNewTokens: 6 })));
      expect(generated[1]!.ids).toEqual(generated[0]!.ids);

      // One file holds every matrix the three sessions (forward, gradient, KV cache) use, in the
      // checkpoint's precision: 16-bit matrices stay 16-bit, widened where the graphs read them.
      const files = readdirSync(weightsDir);
      expect(files).toHaveLength(1);
      const { hiddenSize: h, intermediateSize: f, vocabSize: v, numLayers: layers } = config;
      const elements = layers * (4 * h * h + (architecture === "gpt2" ? 2 : 3) * h * f) + v * h;
      const bytes = statSync(join(weightsDir, files[0]!)).size;
      const perElement = dtype === "F32" ? 4 : 2;
      expect(bytes).toBeGreaterThanOrEqual(elements * perElement);
      expect(bytes).toBeLessThan(elements * perElement * 1.5);
    } finally {
      await Promise.all(models.map((m) => m.dispose?.()));
    }
    expect(existsSync(weightsDir) && readdirSync(weightsDir)).toEqual([]);
  });
});

describe("mapWeights needs onnxruntime-node", () => {
  it("refuses mapWeights: true on another runtime, and says what to do", async () => {
    const { folder } = await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 32,
      heads: 2,
      vocab: 300,
      seed: 3,
      out: join(root, "web"),
    });
    await expect(
      loadModel(folder, { mapWeights: true, runtime: createOnnxruntimeWebNodeRuntime() }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", hint: expect.stringMatching(/onnxruntime-node/) });
    const auto = await loadModel(folder, { runtime: createOnnxruntimeWebNodeRuntime() });
    await auto.dispose?.();
  });
});

describe("TOKENSCOPE_MAP_WEIGHTS", () => {
  it("sets the default, and a value it does not take is refused with what it takes", async () => {
    const { folder } = await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 128,
      heads: 2,
      vocab: 300,
      seed: 4,
      out: join(root, "env"),
    });
    const weightsDir = join(root, "env-weights");
    const saved = process.env["TOKENSCOPE_MAP_WEIGHTS"];
    try {
      process.env["TOKENSCOPE_MAP_WEIGHTS"] = "on";
      const mapped = await loadModel(folder, { weightsDir });
      await mapped.forward!({ inputs: { ids: [[1, 5, 9]] } });
      expect(readdirSync(weightsDir)).toHaveLength(1);
      await mapped.dispose?.();
      process.env["TOKENSCOPE_MAP_WEIGHTS"] = "sometimes\u001b[31m";
      await expect(loadModel(folder, { weightsDir })).rejects.toMatchObject({
        code: "INVALID_INPUT",
        message: expect.not.stringContaining("\u001b"),
        hint: expect.stringMatching(/off/),
      });
    } finally {
      if (saved === undefined) delete process.env["TOKENSCOPE_MAP_WEIGHTS"];
      else process.env["TOKENSCOPE_MAP_WEIGHTS"] = saved;
    }
  });
});

describe("TOKENSCOPE_WEIGHT_PRECISION", () => {
  it("widens 16-bit weights at load when float32, and refuses a value it does not take", async () => {
    const { folder } = await writeRandomHfFolder({
      architecture: "llama",
      dtype: "BF16",
      layers: 1,
      hidden: 128,
      heads: 2,
      vocab: 300,
      seed: 6,
      out: join(root, "precision"),
    });
    const saved = process.env["TOKENSCOPE_WEIGHT_PRECISION"];
    const fileSize = async (name: string) => {
      const weightsDir = join(root, name);
      const model = await loadModel(folder, { mapWeights: true, weightsDir });
      await model.forward!({ inputs: { ids: [[1, 5, 9]] } });
      const size = statSync(join(weightsDir, readdirSync(weightsDir)[0]!)).size;
      await model.dispose?.();
      return size;
    };
    try {
      delete process.env["TOKENSCOPE_WEIGHT_PRECISION"];
      const stored = await fileSize("precision-stored");
      process.env["TOKENSCOPE_WEIGHT_PRECISION"] = "float32";
      expect(await fileSize("precision-float32")).toBeGreaterThanOrEqual(2 * stored - 1024);
      process.env["TOKENSCOPE_WEIGHT_PRECISION"] = "half\u001b[31m";
      await expect(
        loadModel(folder, { mapWeights: true, weightsDir: join(root, "precision-bad") }),
      ).rejects.toMatchObject({
        code: "INVALID_INPUT",
        message: expect.not.stringContaining("\u001b"),
        hint: expect.stringMatching(/float32/),
      });
    } finally {
      if (saved === undefined) delete process.env["TOKENSCOPE_WEIGHT_PRECISION"];
      else process.env["TOKENSCOPE_WEIGHT_PRECISION"] = saved;
    }
  });
});
