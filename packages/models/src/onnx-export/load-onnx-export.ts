import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { LanguageModel } from "@tokenscope/core";
import { folderSource } from "../browser/folder-source.ts";
import {
  isOnnxExportListing,
  type LoadOnnxExportOptions,
  loadOnnxExportFrom,
  type OnnxExportDtype,
  onnxExportFiles,
} from "../browser/onnx-export-from-source.ts";

export { type LoadOnnxExportOptions, type OnnxExportDtype, onnxExportFiles };

async function list(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}

/**
 * Whether `folder` is a transformers.js export: config.json, an `onnx/` folder with `model*.onnx`,
 * and no safetensors weights (with them, tokenscope builds its own graph instead). The rule is
 * `isOnnxExportListing`'s, which the browser loader applies to its listing.
 */
export async function isOnnxExportFolder(folder: string): Promise<boolean> {
  const top = await list(folder);
  if (!top.includes("onnx")) return false;
  const onnx = (await list(join(folder, "onnx"))).map((name) => `onnx/${name}`);
  return isOnnxExportListing([...top, ...onnx]);
}

/**
 * Loads a transformers.js model folder (config.json, tokenizer files, onnx/model*.onnx) as a
 * language model run as exported (see `createOnnxExportModel`), through `loadOnnxExportFrom`.
 * @throws TokenscopeError MODEL_LOAD_FAILED for a missing or unreadable export file or config.
 */
export async function loadOnnxExport(folder: string, options: LoadOnnxExportOptions): Promise<LanguageModel> {
  return loadOnnxExportFrom(folderSource(folder), { ...options, id: options.id ?? folder });
}
