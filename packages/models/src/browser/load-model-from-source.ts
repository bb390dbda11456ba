import { type ExecutionInfo, type LanguageModel, TokenscopeError } from "@tokenscope/core";
import type { SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import { createEncoderDecoderLanguageModel } from "../encoder-decoder/encoder-decoder-model.ts";
import { ctranslate2TransformerFamily } from "../encoder-decoder/families/ctranslate2-transformer.ts";
import type { DownloadProgressCallback } from "../hf/download-progress.ts";
import { createOnnxLanguageModel } from "../language-model/onnx-language-model.ts";
import { loadCTranslate2TransformerFrom } from "./ctranslate2-from-source.ts";
import { type ModelFileSource, readRequiredFile, readSourceJson, sourcePath } from "./file-source.ts";
import {
  isHfEncoderDecoderConfig,
  loadHfEncoderDecoderFamilyFrom,
} from "./hf-encoder-decoder-from-source.ts";
import { loadHfModelFrom } from "./hf-folder-from-source.ts";
import { type DecoderFiles, decoderFromGguf, decoderFromLlama2c, detectModelFormat } from "./model-format.ts";
import { loadOnnxExportFrom, type OnnxExportDtype } from "./onnx-export-from-source.ts";

/** Options of {@link loadModelFromSource}. */
export interface BrowserLoadOptions {
  /** The tensor runtime, e.g. `createOnnxruntimeWebRuntime()` (no default: a browser has no native one). */
  runtime: TensorRuntime;
  sessionOptions?: SessionOptions;
  /** Where the model runs, stored in `info.execution`. */
  execution?: ExecutionInfo;
  /** Cancels the load, downloads included (ABORTED). */
  signal?: AbortSignal;
  /** Each file's bytes as they arrive and when it is done (see `DownloadProgress`). */
  onDownloadProgress?: DownloadProgressCallback;
  /** transformers.js exports: which onnx/model*.onnx to run (default fp32, or the only one there). */
  dtype?: OnnxExportDtype;
}

/** What a source must hold, for the error of one that holds none of it. */
const recognised =
  "Hugging Face model files (config.json, model.safetensors or its index and shards, tokenizer.json), a transformers.js export (config.json, tokenizer.json, onnx/model.onnx), a llama2.c checkpoint (.bin) with tokenizer.bin or tok*.bin, one .gguf file, or a CTranslate2 Transformer (model.bin, source_vocabulary.txt, target_vocabulary.txt)";

function loadFailed(source: ModelFileSource, what: string, found: readonly string[]): never {
  const shown = found.length > 12 ? [...found.slice(0, 12), `… ${found.length - 12} more`] : found;
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `Cannot load a model from ${source.id}: ${what} (found ${shown.length > 0 ? shown.join(", ") : "no files"}).`,
    { hint: `Give ${recognised}.`, details: { source: source.id, files: [...found] } },
  );
}

/**
 * The source with the load's signal and progress on every read, so the format readers (shared
 * with the Node loader, which has neither) need not thread them through.
 */
function withLoadOptions(source: ModelFileSource, options: BrowserLoadOptions): ModelFileSource {
  const { signal, onDownloadProgress } = options;
  return {
    id: source.id,
    list: (listSignal) => source.list(listSignal ?? signal),
    read: (path, readOptions = {}) =>
      source.read(path, {
        ...(signal ? { signal } : {}),
        ...(onDownloadProgress ? { onProgress: onDownloadProgress } : {}),
        ...readOptions,
      }),
  };
}

/**
 * Loads a language model from any {@link ModelFileSource} (picked files, the site's own files, a
 * hub repository), deciding the format from the listing by the Node `loadModel`'s rules and
 * reading it with the same readers: a transformers.js export runs as exported; a CTranslate2
 * Transformer and Hugging Face BART / mBART / Marian / T5 files become encoder-decoders; other
 * Hugging Face files, a llama2.c checkpoint with its tokenizer, or one .gguf become a graph built by
 * tokenscope (exact gradients). Nothing here touches `node:`, so it runs in browsers and workers.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming what the source holds and what it needs, or
 *   from the format's reader; ABORTED when `signal` fires.
 */
export async function loadModelFromSource(
  source: ModelFileSource,
  options: BrowserLoadOptions,
): Promise<LanguageModel> {
  const files = withLoadOptions(source, options);
  const paths = await files.list();
  const format = detectModelFormat(paths);
  const { runtime } = options;
  const session = {
    runtime,
    ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
    ...(options.execution ? { execution: options.execution } : {}),
  };
  if (!format) {
    const ggufs = paths.filter((path) => path.endsWith(".gguf") && !path.includes("/"));
    if (ggufs.length > 1) loadFailed(source, "it holds several .gguf files; give a source with one", paths);
    return loadFailed(source, "it holds no model tokenscope reads", paths);
  }
  if (format.kind === "onnx-export") {
    return loadOnnxExportFrom(files, {
      id: source.id,
      ...session,
      ...(options.dtype ? { dtype: options.dtype } : {}),
    });
  }
  if (format.kind === "ctranslate2") {
    const parts = await loadCTranslate2TransformerFrom(files);
    const family = ctranslate2TransformerFamily({ id: source.id, ...parts });
    return createEncoderDecoderLanguageModel({ id: source.id, family, ...session });
  }
  let decoder: DecoderFiles;
  if (format.kind === "hf") {
    if (isHfEncoderDecoderConfig(await readSourceJson(files, "config.json"))) {
      const family = await loadHfEncoderDecoderFamilyFrom(files);
      return createEncoderDecoderLanguageModel({ id: source.id, family, ...session });
    }
    decoder = await loadHfModelFrom(files);
  } else if (format.kind === "gguf") {
    decoder = await decoderFromGguf(
      await readRequiredFile(files, format.file),
      sourcePath(source, format.file),
    );
  } else {
    if (!format.tokenizer) {
      loadFailed(
        source,
        `no tokenizer.bin or tok*.bin beside the llama2.c checkpoint ${format.checkpoint}`,
        paths,
      );
    }
    decoder = decoderFromLlama2c({
      checkpoint: await readRequiredFile(files, format.checkpoint),
      checkpointSource: sourcePath(source, format.checkpoint),
      tokenizer: await readRequiredFile(files, format.tokenizer),
      tokenizerSource: sourcePath(source, format.tokenizer),
      tokenizerName: format.tokenizer,
    });
  }
  return createOnnxLanguageModel({
    id: source.id,
    weights: decoder.weights,
    tokenizer: decoder.tokenizer,
    ...session,
  });
}
