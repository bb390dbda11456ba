import { readdir, stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { type LanguageModel, quoteForMessage, TOOL_VERSION, TokenscopeError } from "@tokenscope/core";
import type { SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import { ONNXRUNTIME_NODE } from "@tokenscope/tensor-backends/node";
import {
  decoderFromGguf,
  decoderFromLlama2c,
  findGgufName,
  findLlama2cCheckpointName,
  findLlama2cTokenizerName,
  isCTranslate2Listing,
} from "./browser/model-format.ts";
import { createEncoderDecoderLanguageModel } from "./encoder-decoder/encoder-decoder-model.ts";
import { ctranslate2TransformerFamily } from "./encoder-decoder/families/ctranslate2-transformer.ts";
import { loadCTranslate2TransformerFolder } from "./formats/node-loaders.ts";
import { readFileBytes } from "./formats/read-file.ts";
import type { DownloadProgressCallback } from "./hf/download-progress.ts";
import { resolveHfModel } from "./hf/hub.ts";
import { isHfEncoderDecoderConfig, loadHfEncoderDecoderFamily } from "./hf/load-encoder-decoder-folder.ts";
import { loadHfFolder, readHfJson } from "./hf/load-folder.ts";
import { createOnnxLanguageModel } from "./language-model/onnx-language-model.ts";
import type { TextTokenizer } from "./language-model/text-tokenizer.ts";
import { isOnnxExportFolder, loadOnnxExport, type OnnxExportDtype } from "./onnx-export/load-onnx-export.ts";
import { chooseNodeExecution } from "./runtime/node-execution.ts";
import { openWeightFileStorage, weightCacheKey } from "./runtime/weight-file-storage.ts";
import type { DecoderWeights } from "./weights/types.ts";
import type { WeightFileStorage, WeightPrecision } from "./weights/weight-file.ts";

/** Options of {@link loadModel}, in the style of transformers.js. */
export interface LoadModelOptions {
  /**
   * Tensor runtime; default onnxruntime-node, or onnxruntime-web (WebAssembly) when onnxruntime-node is
   * not installed (said in `info.execution.notes`).
   */
  runtime?: TensorRuntime;
  /**
   * "cpu" (default) or "cuda". A CUDA request that cannot be had (no CUDA provider in the installed
   * onnxruntime-node, no GPU) runs on the CPU; `info.execution` records the device used and why.
   */
  device?: "cpu" | "cuda";
  /** Threads inside one operator; default: ONNX Runtime's choice (all cores). */
  threads?: number;
  sessionOptions?: SessionOptions;
  /** Hub models: branch, tag or commit (default "main", or the `@revision` of the reference). */
  revision?: string;
  /** Hub models: the Hugging Face cache folder (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Hub models: use the cache only, never the network (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Hub models: the hub's address (default HF_ENDPOINT or the public hub). */
  hubUrl?: string;
  /** Hub models: called for each file downloaded. */
  onFile?: (path: string, index: number, count: number) => void;
  /** Hub models: each file's bytes as they arrive, and when it is done (see `DownloadProgress`). */
  onDownloadProgress?: DownloadProgressCallback;
  /** Hub models: cancels the download (an `ABORTED` error). */
  signal?: AbortSignal;
  /** Hub models: how long a request waits for its response (default TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS or 30 s). */
  connectTimeoutMs?: number;
  /** Hub models: how long a download may receive nothing (default TOKENSCOPE_HUB_READ_TIMEOUT_MS or 60 s). */
  readTimeoutMs?: number;
  /** transformers.js exports: which onnx/model*.onnx to run (default fp32, or the only one there). */
  dtype?: OnnxExportDtype;
  /**
   * Decoder-only models built from weights: keep the graphs' matrices in a temporary file that ONNX
   * Runtime memory-maps, so generation, gradients and taps share one copy of the weights and the JS
   * heap holds only the token embeddings. Default "auto": on with onnxruntime-node for models with
   * at least 64 MiB of matrices; TOKENSCOPE_MAP_WEIGHTS=on|off|auto sets the default (the CLI's
   * switch). The file lives in `weightsDir` and is deleted on `dispose()` or exit. Mapped weights are
   * not prepacked by ONNX Runtime, which costs warm runs some speed (see bench/memory.bench.ts).
   */
  mapWeights?: boolean | "auto";
  /**
   * Mapped weights: `"stored"` (default) keeps float16 / bfloat16 checkpoint matrices in 16 bits,
   * cast to fp32 where each product reads them (fp32 accumulation, half the memory); `"float32"`
   * widens them at load, which spends memory to save the cast on every run.
   * TOKENSCOPE_WEIGHT_PRECISION=stored|float32 sets the default (the CLI's switch).
   */
  weightPrecision?: WeightPrecision;
  /**
   * Mapped weights: keep the weight file when the model is disposed, keyed by the model's files
   * (path, size, modification time), its config, `weightPrecision` and the tool version, so the next
   * load of the same model maps it at once instead of converting and writing the weights again.
   * Default TOKENSCOPE_WEIGHT_CACHE (on or off; unset: off; the CLI turns it on). Cached files live
   * in `weightsDir`; `clearWeightCache()` (CLI: `tokenscope models cache --clear`) deletes them.
   */
  weightCache?: boolean;
  /** Folder of the weight files (default TOKENSCOPE_WEIGHTS_DIR, else ~/.cache/tokenscope/weights). */
  weightsDir?: string;
}

/** The "auto" threshold of `mapWeights`: bytes of matrices (fp32) from which the weights are mapped. */
export const MAP_WEIGHTS_FROM_BYTES = 64 * 1024 * 1024;

/** Bytes of the model's matrices as float32, from their dims (reading `data` would make lazy ones). */
function matrixBytes(weights: DecoderWeights): number {
  let bytes = 0;
  for (const { dims } of weights.tensors.values()) if (dims.length === 2) bytes += 4 * dims[0]! * dims[1]!;
  return bytes;
}

/** The default of `mapWeights` from TOKENSCOPE_MAP_WEIGHTS (on, off or auto; unset: auto). */
function mapWeightsFromEnvironment(): boolean | "auto" {
  const value = (process.env["TOKENSCOPE_MAP_WEIGHTS"] ?? "auto").trim().toLowerCase();
  if (value === "on" || value === "1" || value === "true") return true;
  if (value === "off" || value === "0" || value === "false") return false;
  if (value === "auto" || value === "") return "auto";
  throw new TokenscopeError(
    "INVALID_INPUT",
    `TOKENSCOPE_MAP_WEIGHTS is ${quoteForMessage(value)}; it takes on, off or auto.`,
    { hint: "Set TOKENSCOPE_MAP_WEIGHTS=off to keep the weights in memory, on to map them, or unset it." },
  );
}

/** The default of `weightPrecision` from TOKENSCOPE_WEIGHT_PRECISION (stored or float32; unset: stored). */
function weightPrecisionFromEnvironment(): WeightPrecision {
  const value = (process.env["TOKENSCOPE_WEIGHT_PRECISION"] ?? "stored").trim().toLowerCase();
  if (value === "stored" || value === "") return "stored";
  if (value === "float32" || value === "fp32") return "float32";
  throw new TokenscopeError(
    "INVALID_INPUT",
    `TOKENSCOPE_WEIGHT_PRECISION is ${quoteForMessage(value)}; it takes stored or float32.`,
    { hint: "Set TOKENSCOPE_WEIGHT_PRECISION=float32 to widen 16-bit weights at load, or unset it." },
  );
}

/** The default of `weightCache` from TOKENSCOPE_WEIGHT_CACHE (on or off; unset: off). */
function weightCacheFromEnvironment(): boolean {
  const value = (process.env["TOKENSCOPE_WEIGHT_CACHE"] ?? "off").trim().toLowerCase();
  if (value === "on" || value === "1" || value === "true") return true;
  if (value === "off" || value === "0" || value === "false" || value === "") return false;
  throw new TokenscopeError(
    "INVALID_INPUT",
    `TOKENSCOPE_WEIGHT_CACHE is ${quoteForMessage(value)}; it takes on or off.`,
    { hint: "Set TOKENSCOPE_WEIGHT_CACHE=off to write the weight file afresh on every load, or unset it." },
  );
}

/** Whether a load maps its weights, and where (undefined: keep them in memory). */
function weightStorageFor(
  weights: DecoderWeights,
  runtime: TensorRuntime,
  options: LoadModelOptions,
  files: readonly string[] | undefined,
  precision: WeightPrecision,
): WeightFileStorage | undefined {
  const wanted = options.mapWeights ?? mapWeightsFromEnvironment();
  if (wanted === false) return undefined;
  if (runtime.name !== ONNXRUNTIME_NODE) {
    if (wanted === true) {
      throw new TokenscopeError(
        "INVALID_INPUT",
        `mapWeights needs onnxruntime-node, which reads external weights from a folder; this load runs on ${runtime.name}.`,
        { hint: 'Install onnxruntime-node, or leave mapWeights at "auto" (or false).' },
      );
    }
    return undefined;
  }
  if (wanted === "auto" && matrixBytes(weights) < MAP_WEIGHTS_FROM_BYTES) return undefined;
  const cached = (options.weightCache ?? weightCacheFromEnvironment()) && files !== undefined;
  const key = cached
    ? weightCacheKey({ files, settings: { config: weights.config, precision, tool: TOOL_VERSION } })
    : undefined;
  return openWeightFileStorage(options.weightsDir, key);
}

/** Formats {@link loadModel} recognises, for its error message. */
const recognised =
  "a Hugging Face model folder (config.json, safetensors, tokenizer.json) or hub id, a transformers.js export folder (config.json, tokenizer.json, onnx/model.onnx), a llama2.c checkpoint (.bin) with its tokenizer (tok*.bin or tokenizer.bin) beside it or their folder, a .gguf file, or a CTranslate2 Transformer folder (model.bin, source_vocabulary.txt, target_vocabulary.txt)";

/** One name of a hub id: letters, digits, `_ . -`, neither starting nor ending with `.` or `-`. */
const HUB_NAME = "[A-Za-z0-9_](?:[\\w.-]{0,94}[A-Za-z0-9_])?";
const hubIdPattern = new RegExp(`^(?:${HUB_NAME}/)?(${HUB_NAME})(?:@[\\w./-]+)?$`);
/** Model file extensions: a missing `model.gguf` is a mistyped path, not a hub repository. */
const modelFileExtension = /\.(bin|gguf|safetensors|onnx|json|pt|pth|ckpt)$/i;

/**
 * A Hugging Face hub id as the hub accepts one: `owner/name`, or a bare `name` such as `gpt2` (the
 * hub's canonical models), optionally `@revision`; no `--` or `..`, and no model file extension.
 */
function isHubId(ref: string): boolean {
  const match = hubIdPattern.exec(ref);
  return match !== null && !/--|\.\./.test(ref.split("@")[0]!) && !modelFileExtension.test(match[1]!);
}

async function pathKind(path: string): Promise<"file" | "folder" | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? "folder" : "file";
  } catch {
    return undefined;
  }
}

function loadFailed(ref: string, what: string): never {
  throw new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load a model from "${ref}": ${what}.`, {
    hint: `Give ${recognised}.`,
    details: { ref },
  });
}

/*
 * Which file is what follows browser/model-format.ts, the rules the browser loader applies to its
 * listing, here applied to a folder's entries.
 */

/** The llama2.c tokenizer file beside a checkpoint: tokenizer.bin or tok*.bin. */
async function findLlama2cTokenizer(folder: string): Promise<string | undefined> {
  const name = findLlama2cTokenizerName(await readdir(folder));
  return name ? join(folder, name) : undefined;
}

/** The checkpoint of a llama2.c folder: the one .bin file that is not a tokenizer. */
async function findLlama2cCheckpoint(folder: string): Promise<string | undefined> {
  const name = findLlama2cCheckpointName(await readdir(folder));
  return name ? join(folder, name) : undefined;
}

/** A CTranslate2 model folder (see `isCTranslate2Listing`). */
async function isCTranslate2Folder(folder: string): Promise<boolean> {
  return isCTranslate2Listing(await readdir(folder));
}

async function findGguf(folder: string): Promise<string | undefined> {
  const name = findGgufName(await readdir(folder));
  return name ? join(folder, name) : undefined;
}

/** Hub options of {@link loadDecoderWeights} (the hub and cache part of {@link LoadModelOptions}). */
export type LoadWeightsOptions = Pick<
  LoadModelOptions,
  | "revision"
  | "cacheDir"
  | "offline"
  | "hubUrl"
  | "onFile"
  | "onDownloadProgress"
  | "signal"
  | "connectTimeoutMs"
  | "readTimeoutMs"
>;

/** A model's weights and tokenizer in memory, before any graph or session exists. */
export interface DecoderSource {
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
  /** Hub revision (commit when known) the files came from. */
  revision?: string;
  /** The files the weights were read from (what a weight cache is keyed by). */
  files?: string[];
}

/**
 * Reads a causal LM's weights and tokenizer from anything {@link loadModel} reads except a
 * transformers.js export (which is a graph already): a Hugging Face folder or hub id, a llama2.c
 * checkpoint or folder, or a .gguf file. For building graphs yourself (`buildDecoderGraph`) or
 * writing one out (`tokenscope onnx export`).
 * @throws TokenscopeError MODEL_LOAD_FAILED naming the reference and what was wrong.
 */
export async function loadDecoderWeights(
  ref: string,
  options: LoadWeightsOptions = {},
): Promise<DecoderSource> {
  const location = await locateModel(ref);
  if (location.onnxExport)
    loadFailed(ref, "it is a transformers.js ONNX export, a graph rather than weights");
  if (location.ctranslate2)
    loadFailed(ref, "it is a CTranslate2 encoder-decoder, not a causal LM (loadModel reads it)");
  return readDecoderSource(ref, location, options);
}

/**
 * Where a reference points: a file, a folder (a transformers.js export, a CTranslate2 model, or
 * neither), or nothing (a hub id).
 */
interface ModelLocation {
  path: string;
  kind: "file" | "folder" | undefined;
  onnxExport: boolean;
  ctranslate2: boolean;
}

/** Looks a reference up once, for both loaders. @throws MODEL_LOAD_FAILED for a missing path that is no hub id. */
async function locateModel(ref: string): Promise<ModelLocation> {
  const path = resolve(ref);
  const kind = await pathKind(path);
  if (!kind && !isHubId(ref)) loadFailed(ref, "no such file or folder");
  const onnxExport = kind === "folder" && (await isOnnxExportFolder(path));
  const ctranslate2 = kind === "folder" && !onnxExport && (await isCTranslate2Folder(path));
  return { path, kind, onnxExport, ctranslate2 };
}

/** A Hugging Face folder or hub id, resolved to a local folder (downloaded into the cache). */
interface ResolvedHfSource {
  folder: string;
  revision?: string;
}

/**
 * The local folder of a reference that is a Hugging Face model folder or hub id (downloading what
 * is missing), or undefined for anything else (a llama2.c checkpoint, a .gguf file or their folder).
 */
async function resolveHfSource(
  ref: string,
  { path, kind }: ModelLocation,
  options: LoadWeightsOptions,
): Promise<ResolvedHfSource | undefined> {
  const isHfFolder = kind === "folder" && (await pathKind(join(path, "config.json"))) === "file";
  if (!isHfFolder && kind) return undefined;
  const resolved = await resolveHfModel(isHfFolder ? path : ref, {
    ...(options.revision ? { revision: options.revision } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
    ...(options.hubUrl ? { hubUrl: options.hubUrl } : {}),
    ...(options.onFile ? { onFile: options.onFile } : {}),
    ...(options.onDownloadProgress ? { onDownloadProgress: options.onDownloadProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.readTimeoutMs !== undefined ? { readTimeoutMs: options.readTimeoutMs } : {}),
  });
  const revision = resolved.commit ?? resolved.revision;
  return { folder: resolved.folder, ...(revision ? { revision } : {}) };
}

/** Weights and tokenizer at a located reference that is not a transformers.js export. */
async function readDecoderSource(
  ref: string,
  location: ModelLocation,
  options: LoadWeightsOptions,
  hf?: ResolvedHfSource,
): Promise<DecoderSource> {
  const { path, kind } = location;
  const resolved = hf ?? (await resolveHfSource(ref, location, options));
  if (resolved) {
    if (isHfEncoderDecoderConfig(await readHfJson(resolved.folder, "config.json"))) {
      loadFailed(ref, "it is an encoder-decoder, not a causal LM (loadModel reads it)");
    }
    const { folder, revision } = resolved;
    const files = (await readdir(folder))
      .filter((name) => name.endsWith(".safetensors") || name.endsWith(".json"))
      .sort()
      .map((name) => join(folder, name));
    return { ...(await loadHfFolder(folder)), ...(revision ? { revision } : {}), files };
  }

  let file = kind === "file" ? path : undefined;
  if (kind === "folder") file = (await findLlama2cCheckpoint(path)) ?? (await findGguf(path));
  if (!file) loadFailed(ref, "the folder holds no llama2.c checkpoint and no single .gguf file");

  if (extname(file) === ".gguf")
    return { ...(await decoderFromGguf(await readFileBytes(file), file)), files: [file] };
  if (extname(file) === ".bin") {
    const tokenizerPath = await findLlama2cTokenizer(dirname(file));
    if (!tokenizerPath) loadFailed(ref, `no tokenizer.bin or tok*.bin beside ${basename(file)}`);
    const source = await decoderFromLlama2c({
      checkpoint: await readFileBytes(file),
      checkpointSource: file,
      tokenizer: await readFileBytes(tokenizerPath),
      tokenizerSource: tokenizerPath,
      tokenizerName: basename(tokenizerPath),
    });
    return { ...source, files: [file] };
  }
  return loadFailed(ref, `"${basename(file)}" is not a format tokenscope reads`);
}

/**
 * Loads a language model and returns it behind core's model interface: a Hugging Face
 * model folder or hub id (causal: llama, mistral, qwen2, qwen3, gemma, gemma2, phi3, gpt2, gpt_neox, opt; encoder-decoder:
 * bart, mbart, marian, t5, see `loadHfEncoderDecoderFamily`; safetensors f32/f16/bf16,
 * single or sharded; downloaded into the standard cache, or read from it alone when offline),
 * a transformers.js export folder (config.json, tokenizer.json, onnx/model*.onnx and no safetensors:
 * the exported graph runs as it is, with gradients only where it is differentiable; `dtype` picks the file),
 * a llama2.c checkpoint (a .bin file with its tokenizer beside it, or their folder), or a GGUF
 * file (llama architecture; f32, f16, q8_0 and q4_0 weights dequantized to fp32); or a CTranslate2
 * Transformer folder (model.bin with source_vocabulary.txt and target_vocabulary.txt, or their .json,
 * or shared_vocabulary.*), a character-level encoder-decoder. Encoder-decoders come back as
 * `createEncoderDecoderLanguageModel` builds them (every capability but layer gradients).
 */
export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<LanguageModel> {
  const location = await locateModel(ref);
  const { runtime, sessionOptions, execution } = await chooseNodeExecution({
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
  });

  // A transformers.js export (onnx/model*.onnx, no safetensors): run the exported graph as it is.
  if (location.onnxExport) {
    return loadOnnxExport(location.path, {
      id: ref,
      runtime,
      sessionOptions,
      execution,
      ...(options.dtype ? { dtype: options.dtype } : {}),
    });
  }
  // A CTranslate2 Transformer (model.bin and its two vocabularies): an encoder-decoder.
  if (location.ctranslate2) {
    const folder = await loadCTranslate2TransformerFolder(location.path);
    const family = ctranslate2TransformerFamily({ id: ref, ...folder });
    return createEncoderDecoderLanguageModel({ id: ref, family, runtime, sessionOptions, execution });
  }
  // A Hugging Face folder or hub id of an encoder-decoder family (BART, mBART, Marian, T5).
  const hf = await resolveHfSource(ref, location, options);
  if (hf && isHfEncoderDecoderConfig(await readHfJson(hf.folder, "config.json"))) {
    const family = await loadHfEncoderDecoderFamily(hf.folder);
    return createEncoderDecoderLanguageModel({
      id: ref,
      ...(hf.revision ? { revision: hf.revision } : {}),
      family,
      runtime,
      sessionOptions,
      execution,
    });
  }
  const { weights, tokenizer, revision, files } = await readDecoderSource(ref, location, options, hf);
  const mapped = options.mapWeights ?? mapWeightsFromEnvironment();
  const weightPrecision =
    mapped === false ? "stored" : (options.weightPrecision ?? weightPrecisionFromEnvironment());
  const weightStorage = weightStorageFor(weights, runtime, options, files, weightPrecision);
  return createOnnxLanguageModel({
    id: ref,
    ...(revision ? { revision } : {}),
    weights,
    tokenizer,
    runtime,
    sessionOptions,
    execution,
    ...(weightStorage ? { weightStorage, weightPrecision } : {}),
  });
}
