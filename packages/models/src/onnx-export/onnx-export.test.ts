import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GradientRequest,
  isTokenscopeError,
  type LanguageModel,
  registerCoreBuiltins,
} from "@tokenscope/core";
import type { OnnxModel } from "@tokenscope/tensor-backends";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RandomHfFolder, writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import {
  transformersJsGraph,
  withFusedAttentionMatMul,
  withQuantizedEmbeddingTable,
  withSimplifiedLayerNorms,
  writeExportFolder,
} from "./export-folder.test-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "tokenscope-onnx-export-"));
const nativeFolder = join(root, "native");
const exportFolder = join(root, "export");
const fusedFolder = join(root, "fused");
let native: LanguageModel;
let exported: LanguageModel;
let fused: LanguageModel;
let written: RandomHfFolder;
let graph: OnnxModel;

beforeAll(async () => {
  registerCoreBuiltins();
  written = await writeRandomHfFolder({
    architecture: "llama",
    layers: 2,
    hidden: 32,
    heads: 4,
    kvHeads: 2,
    vocab: 300,
    seed: 17,
    out: nativeFolder,
  });
  graph = transformersJsGraph(written.weights);
  await writeExportFolder(nativeFolder, exportFolder, graph);
  await writeExportFolder(nativeFolder, fusedFolder, withFusedAttentionMatMul(graph));
  native = await loadModel(nativeFolder);
  exported = await loadModel(exportFolder);
  fused = await loadModel(fusedFolder);
});
afterAll(async () => {
  await Promise.all([native, exported, fused].map((model) => model?.dispose?.()));
  rmSync(root, { recursive: true, force: true });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const prompt = [1, 45, 120, 7, 260, 33, 98];
const padded = [3, 3, 1, 45, 120, 7, 260];
const batch = {
  ids: [prompt, padded],
  attentionMask: [
    [1, 1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 1],
  ],
};

describe("a transformers.js export as a language model", () => {
  it("declares tokenize, forward, generate, chat template, embed and gradients, and no taps", () => {
    expect(exported.info.architecture).toBe("llama");
    expect(exported.info.numKeyValueHeads).toBe(2);
    for (const capability of [
      "tokenize",
      "forward",
      "generate",
      "chatTemplate",
      "embed",
      "gradients",
    ] as const) {
      expect(exported.capabilities.has(capability)).toBe(true);
    }
    expect(exported.capabilities.has("taps.attention")).toBe(false);
    expect(exported.capabilities.has("gradients.layer")).toBe(false);
  });

  it("tokenizes through the folder's tokenizer exactly as the native model does", async () => {
    const text = "The river runs past the mill";
    expect(await exported.tokenize(text)).toEqual(await native.tokenize(text));
    expect(await exported.detokenize(prompt)).toBe(await native.detokenize(prompt));
  });

  it("gives the native model's logits within 1e-5, left padding and chosen positions included", async () => {
    const mine = await exported.forward!({ inputs: batch });
    const theirs = await native.forward!({ inputs: batch });
    expect(mine.logits.dims).toEqual([2, 7, 300]);
    expect(maxAbsDiff(mine.logits.data, theirs.logits.data)).toBeLessThan(1e-5);
    const positions = [
      [6, 2],
      [3, 6],
    ];
    const some = await exported.forward!({ inputs: batch, positions });
    const reference = await native.forward!({ inputs: batch, positions });
    expect(some.logits.dims).toEqual([2, 2, 300]);
    expect(maxAbsDiff(some.logits.data, reference.logits.data)).toBeLessThan(1e-5);
  });

  it("runs from embeddings (the Gather replaced by inputs_embeds) as from ids", async () => {
    const embeddings = await exported.embed!(batch.ids);
    const nativeEmbeddings = await native.embed!(batch.ids);
    expect(maxAbsDiff(embeddings.data, nativeEmbeddings.data)).toBe(0);
    const fromEmbeddings = await exported.forward!({
      inputs: { embeddings, attentionMask: batch.attentionMask },
      positions: [[6], [6]],
    });
    const fromIds = await native.forward!({ inputs: batch, positions: [[6], [6]] });
    expect(maxAbsDiff(fromEmbeddings.logits.data, fromIds.logits.data)).toBeLessThan(1e-5);
  });

  it("generates what the native model generates, greedy and sampled, through the present → past cache", async () => {
    const greedy = await exported.generate!(prompt, { maxNewTokens: 12, stopTokenIds: [] });
    expect(greedy).toEqual(await native.generate!(prompt, { maxNewTokens: 12, stopTokenIds: [] }));
    expect(greedy.ids).toHaveLength(12);
    const sampling = { maxNewTokens: 10, temperature: 0.8, topK: 40, seed: 5, stopTokenIds: [] };
    expect(await exported.generate!(prompt, sampling)).toEqual(await native.generate!(prompt, sampling));
  });

  it("gives the native model's gradients w.r.t. the input embeddings (per-row and shared-row batches)", async () => {
    const perRow: GradientRequest = {
      inputs: batch,
      objective: {
        kind: "stepFunction",
        stepFunction: "probability",
        positions: [6, 5],
        targetIds: [12, 250],
      },
    };
    const mine = await exported.gradients!(perRow);
    const theirs = await native.gradients!(perRow);
    expect(mine.gradients.dims).toEqual([2, 7, 32]);
    expect(maxAbsDiff(mine.gradients.data, theirs.gradients.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(mine.objective, theirs.objective)).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(mine.gradients.data, Math.abs))).toBeGreaterThan(1e-4);

    const steps = [3, 4, 5, 6];
    const shared: GradientRequest = {
      inputs: { ids: steps.map(() => prompt) },
      objective: {
        kind: "stepFunction",
        stepFunction: "logprob",
        positions: steps,
        targetIds: [9, 18, 27, 36],
      },
    };
    const sharedMine = await exported.gradients!(shared);
    const sharedTheirs = await native.gradients!(shared);
    expect(maxAbsDiff(sharedMine.gradients.data, sharedTheirs.gradients.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(sharedMine.logits.data, sharedTheirs.logits.data)).toBeLessThan(1e-5);
  });

  it("refuses logit positions outside the sequence with INVALID_INPUT", async () => {
    await expect(exported.forward!({ inputs: batch, positions: [[7], [0]] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it("refuses taps and residual gradients with MISSING_CAPABILITY", async () => {
    await expect(exported.forward!({ inputs: batch, taps: { attention: true } })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
    });
    await expect(
      exported.gradients!({
        inputs: { ids: [prompt] },
        objective: { kind: "stepFunction", stepFunction: "probability", positions: [6], targetIds: [1] },
        wrt: { kind: "residual", layer: 0 },
      }),
    ).rejects.toMatchObject({ code: "MISSING_CAPABILITY" });
  });
});

describe("an export whose attention uses an operator without a gradient rule", () => {
  it("loads, gives the native logits, and declares neither gradients nor embed", async () => {
    const mine = await fused.forward!({ inputs: batch });
    const theirs = await native.forward!({ inputs: batch });
    expect(maxAbsDiff(mine.logits.data, theirs.logits.data)).toBeLessThan(1e-5);
    expect(fused.capabilities.has("forward")).toBe(true);
    expect(fused.capabilities.has("generate")).toBe(true);
    expect(fused.capabilities.has("gradients")).toBe(false);
    expect(fused.capabilities.has("embed")).toBe(false);
    const generated = await fused.generate!(prompt, { maxNewTokens: 6, stopTokenIds: [] });
    expect(generated).toEqual(await native.generate!(prompt, { maxNewTokens: 6, stopTokenIds: [] }));
  });

  it("answers a gradient request with MISSING_CAPABILITY naming com.microsoft.FusedMatMul and the remedy", async () => {
    const error = await fused.gradients!({
      inputs: { ids: [prompt] },
      objective: { kind: "stepFunction", stepFunction: "probability", positions: [6], targetIds: [1] },
    }).catch((caught: unknown) => caught);
    expect(isTokenscopeError(error)).toBe(true);
    expect(error).toMatchObject({ code: "MISSING_CAPABILITY" });
    expect((error as Error).message).toContain("com.microsoft.FusedMatMul");
    expect((error as Error).message).toContain("no gradient rule");
    expect((error as Error).message).toContain("safetensors");
  });
});

describe("an export whose token table is quantized (read through DequantizeLinear)", () => {
  it("runs forward and generate, but offers no embed or gradients, saying why", async () => {
    const folder = await writeExportFolder(
      nativeFolder,
      join(root, "q8-table"),
      withQuantizedEmbeddingTable(graph),
    );
    const model = await loadModel(folder);
    try {
      const { logits } = await model.forward!({ inputs: { ids: [prompt] } });
      const reference = await native.forward!({ inputs: { ids: [prompt] } });
      const worst = maxAbsDiff(logits.data, reference.logits.data);
      expect(worst).toBeGreaterThan(0); // quantized, so not equal ...
      expect(worst).toBeLessThan(0.05); // ... but close
      expect(model.capabilities.has("gradients")).toBe(false);
      expect(model.capabilities.has("embed")).toBe(false);
      expect(model.embed).toBeUndefined();
      const error = await model.gradients!({
        inputs: { ids: [prompt] },
        objective: { kind: "stepFunction", stepFunction: "probability", positions: [6], targetIds: [1] },
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "MISSING_CAPABILITY" });
      expect((error as Error).message).toContain("embedding lookup");
      await expect(
        model.forward!({ inputs: { embeddings: { data: new Float32Array(32), dims: [1, 1, 32] } } }),
      ).rejects.toMatchObject({ code: "MISSING_CAPABILITY" });
    } finally {
      await model.dispose?.();
    }
  });
});

describe("an export with a contrib operator that rewriteContribOps turns into standard ones", () => {
  it("fuses RMSNorm into SimplifiedLayerNormalization, and still gives the native gradients", async () => {
    const fusedNorms = withSimplifiedLayerNorms(graph, written.config.rmsNormEps);
    const norms = fusedNorms.graph.nodes.filter((node) => node.opType === "SimplifiedLayerNormalization");
    expect(norms).toHaveLength(5); // two per layer and the final norm
    const model = await loadModel(await writeExportFolder(nativeFolder, join(root, "norms"), fusedNorms));
    try {
      expect(model.capabilities.has("gradients")).toBe(true);
      const request: GradientRequest = {
        inputs: batch,
        objective: { kind: "stepFunction", stepFunction: "logprob", positions: [6, 6], targetIds: [40, 41] },
      };
      const mine = await model.gradients!(request);
      const theirs = await native.gradients!(request);
      expect(maxAbsDiff(mine.gradients.data, theirs.gradients.data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(mine.logits.data, theirs.logits.data)).toBeLessThan(1e-5);
    } finally {
      await model.dispose?.();
    }
  });
});

describe("choosing the export file by dtype", () => {
  it("reads onnx/model_quantized.onnx for q8, and the only export there by default", async () => {
    const folder = await writeExportFolder(nativeFolder, join(root, "q8"), graph, "model_quantized.onnx");
    const reference = await native.forward!({ inputs: { ids: [prompt] } });
    for (const options of [{ dtype: "q8" as const }, {}]) {
      const model = await loadModel(folder, options);
      try {
        const { logits } = await model.forward!({ inputs: { ids: [prompt] } });
        expect(maxAbsDiff(logits.data, reference.logits.data)).toBeLessThan(1e-5);
      } finally {
        await model.dispose?.();
      }
    }
    const error = await loadModel(folder, { dtype: "fp32" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect((error as Error).message).toContain("model_quantized.onnx");
  });
});

describe("loading a transformers.js folder that is broken", () => {
  it("fails with MODEL_LOAD_FAILED for a dtype whose file is missing, naming the files there", async () => {
    const error = await loadModel(exportFolder, { dtype: "q4" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect((error as Error).message).toContain("model_q4.onnx");
    expect((error as Error).message).toContain("model.onnx");
  });

  it("fails with MODEL_LOAD_FAILED for an onnx file that is not ONNX", async () => {
    const broken = await writeExportFolder(nativeFolder, join(root, "broken"), graph);
    await writeFile(join(broken, "onnx", "model.onnx"), new Uint8Array([0xff, 0xff, 0xff, 0x07, 0x01, 0x02]));
    const error = await loadModel(broken).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect((error as Error).message).toContain("cannot be read as an ONNX model");
  });

  it("fails with MODEL_LOAD_FAILED for a graph without logits", async () => {
    const outputs = graph.graph.outputs.filter((output) => output.name !== "logits");
    const other = await writeExportFolder(nativeFolder, join(root, "other"), {
      ...graph,
      graph: { ...graph.graph, outputs },
    });
    const error = await loadModel(other).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect((error as Error).message).toContain("logits output");
  });
});
