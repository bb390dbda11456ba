import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHub, startLocalHub } from "../hf/hub-server.test-helpers.ts";
import { writeRandomHfFolder } from "../hf/write-random-folder.ts";
import { loadModel } from "../load-model.ts";
import { transformersJsGraph, writeExportFolder } from "../onnx-export/export-folder.test-helpers.ts";
import { arenTransliterationDir, stories260kDir } from "../testing/assets.test-helpers.ts";
import { fileListSource } from "./file-list-source.ts";
import { hubSource } from "./hub-source.ts";
import { loadModelFromSource } from "./load-model-from-source.ts";
import { folderFiles, logitsOf, maxDifference } from "./source.test-helpers.ts";

const runtime = createOnnxruntimeNodeRuntime();
const root = mkdtempSync(join(tmpdir(), "tokenscope-hub-formats-"));
let hub: LocalHub;
let exportFolder: string;
let ggufFolder: string;

beforeAll(async () => {
  const native = join(root, "native");
  const written = await writeRandomHfFolder({
    architecture: "llama",
    layers: 2,
    hidden: 32,
    heads: 4,
    vocab: 300,
    seed: 9,
    out: native,
  });
  exportFolder = await writeExportFolder(native, join(root, "export"), transformersJsGraph(written.weights));
  // A second precision beside fp32, which a default load must not download.
  copyFileSync(join(exportFolder, "onnx", "model.onnx"), join(exportFolder, "onnx", "model_q4.onnx"));
  ggufFolder = join(root, "gguf");
  mkdirSync(ggufFolder);
  copyFileSync(join(stories260kDir, "stories260K.gguf"), join(ggufFolder, "stories260K.gguf"));
  hub = await startLocalHub({ "tiny/export": exportFolder, "tiny/gguf": ggufFolder });
});
afterAll(async () => {
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
});

const fileRequests = () => hub.requests.filter((request) => request.includes("/resolve/"));

describe("hubSource: repositories without safetensors", () => {
  it("a transformers.js export loads its fp32 graph and fetches no other precision", async () => {
    hub.requests.length = 0;
    const source = hubSource("tiny/export", { hubUrl: hub.url, cache: null });
    expect(await source.list()).toEqual(expect.arrayContaining(["onnx/model.onnx", "onnx/model_q4.onnx"]));
    const model = await loadModelFromSource(source, { runtime });
    const node = await loadModel(exportFolder, { runtime });
    const ids = (await node.tokenize("the river")).tokens.map((token) => token.id!);
    expect(maxDifference(await logitsOf(model, ids), await logitsOf(node, ids))).toBeLessThanOrEqual(1e-6);
    expect(fileRequests().some((request) => request.endsWith("/onnx/model.onnx"))).toBe(true);
    expect(fileRequests().some((request) => request.endsWith("model_q4.onnx"))).toBe(false);
    await Promise.all([model.dispose?.(), node.dispose?.()]);
  });

  it("a GGUF repository (no config.json) loads its one .gguf as the Node loader does", async () => {
    const source = hubSource("tiny/gguf", { hubUrl: hub.url, cache: null });
    expect(await source.list()).toEqual(["stories260K.gguf"]);
    const model = await loadModelFromSource(source, { runtime });
    const node = await loadModel(join(ggufFolder, "stories260K.gguf"), { runtime });
    const ids = (await node.tokenize("Once upon a time")).tokens.map((token) => token.id!);
    expect(maxDifference(await logitsOf(model, ids), await logitsOf(node, ids))).toBeLessThanOrEqual(1e-6);
    await Promise.all([model.dispose?.(), node.dispose?.()]);
  });
});

describe("fileListSource: CTranslate2", () => {
  it("aren-transliteration through fileListSource equals the Node loader", async () => {
    const node = await loadModel(arenTransliterationDir, { runtime });
    const model = await loadModelFromSource(fileListSource(folderFiles(arenTransliterationDir)), { runtime });
    const source = (await node.tokenize("آتزمون")).tokens.map((token) => token.id!);
    expect((await model.tokenize("آتزمون")).tokens.map((token) => token.id!)).toEqual(source);
    const generated = await node.generate!(source);
    expect(generated.text).toBe("atzmon");
    expect((await model.generate!(source)).ids).toEqual(generated.ids);
    const row = [...source, ...generated.ids.slice(0, 3)];
    expect(
      maxDifference(await logitsOf(model, row, source.length), await logitsOf(node, row, source.length)),
    ).toBeLessThanOrEqual(1e-6);
    await Promise.all([model.dispose?.(), node.dispose?.()]);
  });
});
