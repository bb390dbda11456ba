import { folderSource } from "../browser/folder-source.ts";
import { loadSafetensorsFrom } from "../browser/safetensors-from-source.ts";
import { type Llama2cTokenizerOptions, readLlama2cTokenizer } from "../tokenizers/llama2c.ts";
import type { ScoreBpeTokenizer } from "../tokenizers/score-bpe.ts";
import type { DecoderWeights } from "../weights/types.ts";

export {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFolder,
} from "./ctranslate2/load-folder.ts";

import { ggufToDecoderWeights } from "./gguf/llama.ts";
import { type GgufFile, readGguf } from "./gguf/read.ts";
import { readLlama2cCheckpoint } from "./llama2c/read-checkpoint.ts";
import { readFileBytes } from "./read-file.ts";
import { readSafetensors, type SafetensorsFile } from "./safetensors/read.ts";

/*
 * Node entry points of the byte-level readers: each reads the file(s) and passes the path on for
 * error messages. Kept out of the package's main entry, which must stay free of `node:` imports.
 */

/** Reads a llama2.c checkpoint file (see `readLlama2cCheckpoint`). */
export async function loadLlama2cCheckpoint(path: string): Promise<DecoderWeights> {
  return readLlama2cCheckpoint(await readFileBytes(path), { source: path });
}

/** Reads a llama2.c tokenizer file (see `readLlama2cTokenizer`). */
export async function loadLlama2cTokenizer(
  path: string,
  options: Omit<Llama2cTokenizerOptions, "source"> = {},
): Promise<ScoreBpeTokenizer> {
  return readLlama2cTokenizer(await readFileBytes(path), { ...options, source: path });
}

/** Reads a GGUF file's metadata and tensor directory (see `readGguf`). */
export async function loadGguf(path: string): Promise<GgufFile> {
  return readGguf(await readFileBytes(path), { source: path });
}

/** Reads the weights of a GGUF "llama" model file (see `ggufToDecoderWeights`). */
export async function loadGgufWeights(path: string): Promise<DecoderWeights> {
  return ggufToDecoderWeights(await loadGguf(path));
}

/** Reads one safetensors file (see `readSafetensors`). */
export async function loadSafetensorsFile(path: string): Promise<SafetensorsFile> {
  return readSafetensors(await readFileBytes(path), { source: path });
}

/**
 * Reads the safetensors weights of a model folder: the shards named by
 * `model.safetensors.index.json` when it exists, else `model.safetensors` (`loadSafetensorsFrom`
 * over the folder, as the browser loader reads them).
 */
export async function loadSafetensorsFolder(folder: string): Promise<SafetensorsFile> {
  return loadSafetensorsFrom(folderSource(folder));
}
