import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, type LanguageModel } from "@tokenscope/core";
import {
  createOnnxruntimeNodeRuntime,
  createOnnxruntimeWebNodeRuntime,
} from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomEncoderDecoderFolder } from "../hf/write-random-encoder-decoder-folder.ts";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { onceUponATimeIds, stories260kDir } from "../testing/assets.test-helpers.ts";
import { fileListSource } from "./file-list-source.ts";
import { loadModelFromSource } from "./load-model-from-source.ts";
import { folderFiles, logitsOf, maxDifference, serveFolder } from "./source.test-helpers.ts";
import { urlSource } from "./url-source.ts";

const runtime = createOnnxruntimeNodeRuntime();
const root = mkdtempSync(join(tmpdir(), "tokenscope-browser-load-"));
const models: LanguageModel[] = [];
const track = (model: LanguageModel) => {
  models.push(model);
  return model;
};
afterAll(async () => {
  for (const model of models) await model.dispose?.();
  rmSync(root, { recursive: true, force: true });
});

async function errorOf(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

const stories = (name: string) => new File([readFileSync(join(stories260kDir, name))], name);

describe("loadModelFromSource: stories260K", () => {
  let node: LanguageModel;
  let nodeLogits: Float32Array;
  let nodeTokens: number[];
  beforeAll(async () => {
    node = track(await loadModel(join(stories260kDir, "stories260K.bin"), { runtime }));
    nodeLogits = await logitsOf(node, onceUponATimeIds);
    nodeTokens = (await node.generate!(onceUponATimeIds, { maxNewTokens: 12 })).ids;
  });

  it("urlSource over a local HTTP server gives the Node loader's logits (1e-6) and tokens, fetching only the two files", async () => {
    const server = await serveFolder(stories260kDir);
    try {
      const source = urlSource(server.url, ["stories260K.bin", "tok512.bin"], { id: "stories260K" });
      const events: string[] = [];
      const model = track(
        await loadModelFromSource(source, {
          runtime,
          onDownloadProgress: (event) => events.push(`${event.path}:${event.state}`),
        }),
      );
      expect(model.info.id).toBe("stories260K");
      expect(maxDifference(await logitsOf(model, onceUponATimeIds), nodeLogits)).toBeLessThanOrEqual(1e-6);
      expect((await model.generate!(onceUponATimeIds, { maxNewTokens: 12 })).ids).toEqual(nodeTokens);
      expect(server.requests.sort()).toEqual(["/stories260K.bin", "/tok512.bin"]);
      expect(events[0]).toBe("stories260K.bin:start");
      expect(events).toContain("tok512.bin:done");
    } finally {
      await server.close();
    }
  });

  it("fileListSource over File objects (a picked folder) gives the same logits and tokens", async () => {
    const files = folderFiles(stories260kDir, "stories260K");
    const source = fileListSource(files);
    expect(source.id).toBe("stories260K");
    const model = track(await loadModelFromSource(source, { runtime }));
    expect(maxDifference(await logitsOf(model, onceUponATimeIds), nodeLogits)).toBeLessThanOrEqual(1e-6);
    expect((await model.generate!(onceUponATimeIds, { maxNewTokens: 12 })).ids).toEqual(nodeTokens);
  });

  it("runs on onnxruntime-web's Node runtime too (the loader is runtime-agnostic)", async () => {
    const source = fileListSource([stories("stories260K.bin"), stories("tok512.bin")]);
    const model = track(await loadModelFromSource(source, { runtime: createOnnxruntimeWebNodeRuntime() }));
    expect(maxDifference(await logitsOf(model, onceUponATimeIds), nodeLogits)).toBeLessThanOrEqual(1e-5);
    expect((await model.generate!(onceUponATimeIds, { maxNewTokens: 12 })).ids).toEqual(nodeTokens);
  });

  it("reads the .gguf through fileListSource as the Node loader does", async () => {
    const nodeGguf = track(await loadModel(join(stories260kDir, "stories260K.gguf"), { runtime }));
    const model = track(
      await loadModelFromSource(fileListSource([stories("stories260K.gguf")]), { runtime }),
    );
    const ids = (await nodeGguf.tokenize("Once upon a time")).tokens.map((token) => token.id!);
    expect((await model.tokenize("Once upon a time")).tokens.map((token) => token.id!)).toEqual(ids);
    expect(maxDifference(await logitsOf(model, ids), await logitsOf(nodeGguf, ids))).toBeLessThanOrEqual(
      1e-6,
    );
  });
});

describe("loadModelFromSource: Hugging Face files", () => {
  it("a random llama folder (sharded safetensors) through fileListSource equals the Node loader", async () => {
    const out = join(root, "llama");
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 2,
      hidden: 32,
      heads: 4,
      kvHeads: 2,
      vocab: 300,
      seed: 3,
      out,
      maxShardBytes: 20_000,
    });
    const node = track(await loadModel(out, { runtime }));
    const model = track(await loadModelFromSource(fileListSource(folderFiles(out), "llama"), { runtime }));
    const ids = (await node.tokenize("the river bends")).tokens.map((token) => token.id!);
    expect((await model.tokenize("the river bends")).tokens.map((token) => token.id!)).toEqual(ids);
    expect(maxDifference(await logitsOf(model, ids), await logitsOf(node, ids))).toBeLessThanOrEqual(1e-6);
  });

  for (const architecture of ["t5", "marian"] as const) {
    it(`a random ${architecture} encoder-decoder through fileListSource equals the Node loader`, async () => {
      const out = join(root, architecture);
      await writeRandomEncoderDecoderFolder({
        architecture,
        layers: 2,
        hidden: 32,
        heads: 4,
        vocab: 300,
        seed: 1,
        out,
      });
      const node = track(await loadModel(out, { runtime }));
      const model = track(await loadModelFromSource(fileListSource(folderFiles(out)), { runtime }));
      const source = (await node.tokenize("the market opens")).tokens.map((token) => token.id!);
      const target = (await node.tokenize("people say", { continuation: true })).tokens.map(
        (token) => token.id!,
      );
      expect((await model.tokenize("the market opens")).tokens.map((token) => token.id!)).toEqual(source);
      const row = [...source, ...target];
      expect(
        maxDifference(await logitsOf(model, row, source.length), await logitsOf(node, row, source.length)),
      ).toBeLessThanOrEqual(1e-6);
      expect((await model.generate!(source, { maxNewTokens: 5 })).ids).toEqual(
        (await node.generate!(source, { maxNewTokens: 5 })).ids,
      );
    });
  }
});

describe("loadModelFromSource: hostile sources", () => {
  it("a source with nothing recognisable names what it found and what it needs", async () => {
    const error = await errorOf(() =>
      loadModelFromSource(fileListSource([new File(["hi"], "README.md"), new File(["x"], "notes.txt")]), {
        runtime,
      }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("README.md, notes.txt");
    expect(error.hint).toContain("config.json");
    expect(error.hint).toContain(".gguf");
  });

  it("a truncated safetensors file is MODEL_LOAD_FAILED from the parser", async () => {
    const out = join(root, "truncated");
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 1,
      hidden: 16,
      heads: 2,
      vocab: 300,
      seed: 2,
      out,
    });
    const weights = readFileSync(join(out, "model.safetensors"));
    writeFileSync(join(out, "model.safetensors"), weights.subarray(0, weights.byteLength - 100));
    const error = await errorOf(() => loadModelFromSource(fileListSource(folderFiles(out)), { runtime }));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("model.safetensors");
  });

  it("a llama2.c checkpoint without its tokenizer says which file is missing", async () => {
    const error = await errorOf(() =>
      loadModelFromSource(fileListSource([stories("stories260K.bin")]), { runtime }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("tokenizer.bin or tok*.bin");
  });
});
