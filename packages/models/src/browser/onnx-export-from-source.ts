import { type ExecutionInfo, isTokenscopeError, type LanguageModel, TokenscopeError } from "@tokenscope/core";
import {
  decodeModel,
  loadExternalData,
  type OnnxModel,
  type SessionOptions,
  type TensorRuntime,
} from "@tokenscope/tensor-backends";
import { decoderConfigFromHf } from "../hf/config.ts";
import { createOnnxExportModel, type ExportConfig } from "../onnx-export/onnx-export-model.ts";
import { type ModelFileSource, readRequiredFile, sourcePath } from "./file-source.ts";
import { loadHfSpecialTokenIdsFrom } from "./hf-folder-from-source.ts";
import { loadHfTokenizerFrom } from "./hf-tokenizer-from-source.ts";

/*
 * The transformers.js export reader over any ModelFileSource: the Node `loadOnnxExport` and
 * `isOnnxExportFolder` (onnx-export/load-onnx-export.ts) run it over a folder, the browser loader
 * over picked files, the site's files or a hub repository.
 */

/** Weight precisions of a transformers.js export, named as transformers.js names them. */
export type OnnxExportDtype = "fp32" | "fp16" | "q8" | "q4";

/** The file transformers.js reads for each dtype, inside the folder's `onnx/`. */
export const onnxExportFiles: Readonly<Record<OnnxExportDtype, string>> = {
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  q4: "model_q4.onnx",
};

/** Options of {@link loadOnnxExportFrom} (and of the Node `loadOnnxExport`). */
export interface LoadOnnxExportOptions {
  /** Which export to read; default fp32, or the only one there. */
  dtype?: OnnxExportDtype;
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, as the loader found it (stored in `info`). */
  execution?: ExecutionInfo;
  /** The reference to report as the model id; default the folder. */
  id?: string;
}

const exportFileName = /^onnx\/model[^/]*\.onnx$/;

/**
 * Whether a listing (relative paths) is a transformers.js export: config.json, `onnx/model*.onnx`,
 * and no safetensors weights (with them, tokenscope builds its own graph instead).
 */
export function isOnnxExportListing(paths: readonly string[]): boolean {
  if (!paths.includes("config.json") || paths.some((path) => path.endsWith(".safetensors"))) return false;
  return paths.some((path) => exportFileName.test(path));
}

function loadFailed(folder: string, what: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the ONNX export in "${folder}": ${what}.`, {
    hint,
    details: { folder },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The export file for `dtype` (default: model.onnx, else the only model*.onnx). */
async function exportFile(source: ModelFileSource, dtype: OnnxExportDtype | undefined): Promise<string> {
  const folder = source.id;
  const names = (await source.list())
    .filter((path) => exportFileName.test(path))
    .map((path) => path.slice("onnx/".length));
  const wanted = dtype
    ? onnxExportFiles[dtype]
    : names.includes("model.onnx") || names.length !== 1
      ? "model.onnx"
      : names[0]!;
  if (!names.includes(wanted)) {
    throw loadFailed(
      folder,
      `onnx/${wanted} does not exist (the folder has ${names.join(", ") || "no model*.onnx"})`,
      `Pick a dtype whose file is there (${
        Object.entries(onnxExportFiles)
          .filter(([, file]) => names.includes(file))
          .map(([name]) => name)
          .join(", ") || "none"
      }), or download that file.`,
    );
  }
  return `onnx/${wanted}`;
}

type Json = Record<string, unknown>;

function numberField(json: Json, ...keys: string[]): number | undefined {
  for (const key of keys) if (typeof json[key] === "number") return json[key] as number;
  return undefined;
}

/** The sizes of the model: decoderConfigFromHf for families tokenscope builds, the usual fields otherwise. */
function exportConfig(json: unknown, source: string): ExportConfig {
  try {
    return decoderConfigFromHf(json, source);
  } catch (error) {
    if (!isTokenscopeError(error) || error.code !== "UNSUPPORTED_ARCHITECTURE") throw error;
  }
  const object = (typeof json === "object" && json !== null ? json : {}) as Json;
  const hidden = numberField(object, "hidden_size", "n_embd", "d_model");
  const heads = numberField(object, "num_attention_heads", "n_head");
  const layers = numberField(object, "num_hidden_layers", "n_layer");
  const vocab = numberField(object, "vocab_size");
  if (!hidden || !heads || !layers || !vocab) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source} lacks vocab_size, hidden_size, num_attention_heads or num_hidden_layers.`,
      {
        hint: "Give the export's config.json as transformers wrote it.",
        details: { source },
      },
    );
  }
  return {
    architecture: typeof object["model_type"] === "string" ? object["model_type"] : "unknown",
    vocabSize: vocab,
    hiddenSize: hidden,
    numLayers: layers,
    numHeads: heads,
    numKeyValueHeads: numberField(object, "num_key_value_heads") ?? heads,
    headDim: numberField(object, "head_dim") ?? hidden / heads,
    contextLength: numberField(object, "max_position_embeddings", "n_positions", "n_ctx") ?? 2048,
  };
}

async function readExportModel(source: ModelFileSource, file: string): Promise<OnnxModel> {
  const folder = source.id;
  const bytes = await readRequiredFile(source, file);
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    throw loadFailed(
      folder,
      `${sourcePath(source, file)} cannot be read as an ONNX model (${(error as Error).message})`,
      "The file is damaged or not ONNX; download it again.",
      error,
    );
  }
  try {
    return await loadExternalData(model, async (location) => readRequiredFile(source, `onnx/${location}`));
  } catch (error) {
    throw loadFailed(
      folder,
      `the external data of ${sourcePath(source, file)} cannot be read (${(error as Error).message})`,
      "Download the .onnx_data file beside the model.",
      error,
    );
  }
}

/**
 * Loads a transformers.js export's files (config.json, tokenizer files, onnx/model*.onnx) as a
 * language model run as exported (see `createOnnxExportModel`).
 * @throws TokenscopeError MODEL_LOAD_FAILED for a missing or unreadable export file or config.
 */
export async function loadOnnxExportFrom(
  source: ModelFileSource,
  options: LoadOnnxExportOptions,
): Promise<LanguageModel> {
  const folder = source.id;
  const configPath = sourcePath(source, "config.json");
  let configJson: unknown;
  try {
    configJson = JSON.parse(new TextDecoder().decode(await readRequiredFile(source, "config.json")));
  } catch (error) {
    throw loadFailed(
      folder,
      "config.json is missing or not JSON",
      "Give the folder transformers.js loads (config.json beside onnx/).",
      error,
    );
  }
  const config = exportConfig(configJson, configPath);
  const file = await exportFile(source, options.dtype);
  const model = await readExportModel(source, file);
  const special = await loadHfSpecialTokenIdsFrom(source);
  const tokenizer = await loadHfTokenizerFrom(source, { extraEosTokenIds: special.eos ?? [] });
  return createOnnxExportModel({
    id: options.id ?? folder,
    model,
    source: sourcePath(source, file),
    config,
    tokenizer,
    runtime: options.runtime,
    ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
    ...(options.execution ? { execution: options.execution } : {}),
  });
}
