import { ggufToDecoderWeights } from "../formats/gguf/llama.ts";
import { readGguf } from "../formats/gguf/read.ts";
import { readLlama2cCheckpoint } from "../formats/llama2c/read-checkpoint.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { llama2cPiece, scoreBpeTextTokenizer } from "../language-model/text-tokenizer.ts";
import { ggufTextTokenizer } from "../tokenizers/gguf-tokenizer.ts";
import { readLlama2cTokenizer } from "../tokenizers/llama2c.ts";
import type { DecoderWeights } from "../weights/types.ts";
import { isOnnxExportListing } from "./onnx-export-from-source.ts";

/*
 * Which format a model's files are, decided from their names alone, and the assembly of the
 * single-file formats (llama2.c, GGUF) from bytes. The Node `loadModel` applies these rules to a
 * folder's entries, the browser `loadModelFromSource` to a source's listing: one rule for both.
 */

/** The llama2.c tokenizer among top-level names: tokenizer.bin, else the first tok*.bin. */
export function findLlama2cTokenizerName(names: readonly string[]): string | undefined {
  return names.find((name) => name === "tokenizer.bin") ?? names.find((name) => /^tok[^/]*\.bin$/.test(name));
}

/** The llama2.c checkpoint among top-level names: the one .bin that is not a tokenizer. */
export function findLlama2cCheckpointName(names: readonly string[]): string | undefined {
  const checkpoints = names.filter(
    (name) => name.endsWith(".bin") && !/^tok/.test(name) && !name.includes("/"),
  );
  return checkpoints.length === 1 ? checkpoints[0] : undefined;
}

/** The one top-level .gguf file, or undefined when there is none or more than one. */
export function findGgufName(names: readonly string[]): string | undefined {
  const files = names.filter((name) => name.endsWith(".gguf") && !name.includes("/"));
  return files.length === 1 ? files[0] : undefined;
}

/**
 * A CTranslate2 model: `model.bin` beside `source_vocabulary.*` and `target_vocabulary.*`
 * (`.txt` or `.json`), or beside one `shared_vocabulary.*`.
 */
export function isCTranslate2Listing(names: readonly string[]): boolean {
  const present = new Set(names);
  if (!present.has("model.bin")) return false;
  const has = (stem: string) => present.has(`${stem}.txt`) || present.has(`${stem}.json`);
  return (has("source_vocabulary") && has("target_vocabulary")) || has("shared_vocabulary");
}

/** A model's format as its file names tell it, in the order the loaders try them. */
export type ModelFormat =
  | { kind: "onnx-export" }
  | { kind: "ctranslate2" }
  | { kind: "hf" }
  | { kind: "llama2c"; checkpoint: string; tokenizer: string | undefined }
  | { kind: "gguf"; file: string };

/**
 * The format of a listing (relative paths), tried in the Node loader's order: a transformers.js
 * export, a CTranslate2 folder, a Hugging Face folder (config.json), a llama2.c checkpoint with its
 * tokenizer, one .gguf file; undefined when none fits.
 */
export function detectModelFormat(paths: readonly string[]): ModelFormat | undefined {
  if (isOnnxExportListing(paths)) return { kind: "onnx-export" };
  if (isCTranslate2Listing(paths)) return { kind: "ctranslate2" };
  if (paths.includes("config.json")) return { kind: "hf" };
  const checkpoint = findLlama2cCheckpointName(paths);
  if (checkpoint) return { kind: "llama2c", checkpoint, tokenizer: findLlama2cTokenizerName(paths) };
  const gguf = findGgufName(paths);
  return gguf ? { kind: "gguf", file: gguf } : undefined;
}

/** Weights and tokenizer of a single-file format, before any graph exists. */
export interface DecoderFiles {
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
}

/** A GGUF llama or qwen2 model and the tokenizer in its metadata; `source` names the file in errors. */
export async function decoderFromGguf(bytes: Uint8Array, source: string): Promise<DecoderFiles> {
  const gguf = await readGguf(bytes, { source });
  const weights = ggufToDecoderWeights(gguf);
  const tokenizer = ggufTextTokenizer(gguf.metadata, source, weights.config.vocabSize);
  return { weights, tokenizer };
}

/** The bytes and names of a llama2.c checkpoint and its tokenizer. */
export interface Llama2cFiles {
  checkpoint: Uint8Array;
  checkpointSource: string;
  tokenizer: Uint8Array;
  tokenizerSource: string;
  /** The tokenizer's file name, for the tokenizer's description. */
  tokenizerName: string;
}

/** A llama2.c checkpoint and its score-BPE tokenizer, whose size must match the checkpoint's vocabulary. */
export function decoderFromLlama2c(files: Llama2cFiles): DecoderFiles {
  const weights = readLlama2cCheckpoint(files.checkpoint, { source: files.checkpointSource });
  const bpe = readLlama2cTokenizer(files.tokenizer, {
    vocabSize: weights.config.vocabSize,
    source: files.tokenizerSource,
  });
  const tokenizer = scoreBpeTextTokenizer(
    bpe,
    `llama2.c score BPE (${files.tokenizerName}), ${bpe.vocabSize} tokens`,
    llama2cPiece,
  );
  return { weights, tokenizer };
}
