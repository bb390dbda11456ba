import { readdir, stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { type LanguageModel, TokenscopeError } from "@tokenscope/core";
import type { SessionOptions, TensorRuntime } from "@tokenscope/tensor-backends";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { ggufToDecoderWeights } from "./formats/gguf/llama.ts";
import { loadGguf, loadLlama2cCheckpoint, loadLlama2cTokenizer } from "./formats/node-loaders.ts";
import { createOnnxLanguageModel } from "./language-model/onnx-language-model.ts";
import { scoreBpeTextTokenizer } from "./language-model/text-tokenizer.ts";
import { ggufLlamaTokenizer } from "./tokenizers/gguf-llama.ts";

/** Options of {@link loadModel}, in the style of transformers.js. */
export interface LoadModelOptions {
  /** Tensor runtime; default onnxruntime-node (CPU). */
  runtime?: TensorRuntime;
  /** "cpu" (default) or "cuda" (falls back to CPU, recorded, when the binary lacks CUDA). */
  device?: "cpu" | "cuda";
  /** Threads inside one operator; default: ONNX Runtime's choice (all cores). */
  threads?: number;
  sessionOptions?: SessionOptions;
}

/** Formats {@link loadModel} recognises, for its error message. */
const recognised =
  "a llama2.c checkpoint (.bin) with its tokenizer (tok*.bin or tokenizer.bin) beside it, a folder holding one, or a .gguf file";

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

/** The llama2.c tokenizer file beside a checkpoint: tokenizer.bin or tok*.bin. */
async function findLlama2cTokenizer(folder: string): Promise<string | undefined> {
  const names = await readdir(folder);
  const name =
    names.find((entry) => entry === "tokenizer.bin") ?? names.find((entry) => /^tok.*\.bin$/.test(entry));
  return name ? join(folder, name) : undefined;
}

/** The checkpoint of a llama2.c folder: the one .bin file that is not a tokenizer. */
async function findLlama2cCheckpoint(folder: string): Promise<string | undefined> {
  const names = (await readdir(folder)).filter((entry) => entry.endsWith(".bin") && !/^tok/.test(entry));
  return names.length === 1 ? join(folder, names[0]!) : undefined;
}

async function findGguf(folder: string): Promise<string | undefined> {
  const names = (await readdir(folder)).filter((entry) => entry.endsWith(".gguf"));
  return names.length === 1 ? join(folder, names[0]!) : undefined;
}

/**
 * Loads a causal language model from a local path and returns it behind core's model interface:
 * llama2.c checkpoints (a .bin file with its tokenizer beside it, or their folder) and GGUF files
 * (llama architecture; f32, f16, q8_0 and q4_0 weights dequantized to fp32).
 */
export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<LanguageModel> {
  const path = resolve(ref);
  const kind = await pathKind(path);
  if (!kind) loadFailed(ref, "no such file or folder");
  const runtime = options.runtime ?? createOnnxruntimeNodeRuntime();
  const sessionOptions: SessionOptions = {
    ...(options.threads ? { intraOpThreads: options.threads } : {}),
    ...(options.device === "cuda" ? { providers: ["cuda", "cpu"] } : {}),
    ...options.sessionOptions,
  };

  let file = kind === "file" ? path : undefined;
  if (kind === "folder") file = (await findLlama2cCheckpoint(path)) ?? (await findGguf(path));
  if (!file) loadFailed(ref, "the folder holds no llama2.c checkpoint and no single .gguf file");

  if (extname(file) === ".gguf") {
    const gguf = await loadGguf(file);
    const weights = ggufToDecoderWeights(gguf);
    const tokenizer = scoreBpeTextTokenizer(
      ggufLlamaTokenizer(gguf.metadata, file),
      `GGUF llama tokenizer, ${weights.config.vocabSize} tokens`,
    );
    return createOnnxLanguageModel({ id: ref, weights, tokenizer, runtime, sessionOptions });
  }
  if (extname(file) === ".bin") {
    const tokenizerPath = await findLlama2cTokenizer(dirname(file));
    if (!tokenizerPath) loadFailed(ref, `no tokenizer.bin or tok*.bin beside ${basename(file)}`);
    const weights = await loadLlama2cCheckpoint(file);
    const bpe = await loadLlama2cTokenizer(tokenizerPath, { vocabSize: weights.config.vocabSize });
    const tokenizer = scoreBpeTextTokenizer(
      bpe,
      `llama2.c score BPE (${basename(tokenizerPath)}), ${bpe.vocabSize} tokens`,
    );
    return createOnnxLanguageModel({ id: ref, weights, tokenizer, runtime, sessionOptions });
  }
  return loadFailed(ref, `"${basename(file)}" is not a format tokenscope reads`);
}
