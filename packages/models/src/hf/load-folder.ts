import type { SpecialTokenIds } from "@tokenscope/core";
import { readSourceJson } from "../browser/file-source.ts";
import { folderSource } from "../browser/folder-source.ts";
import {
  loadHfConfigFrom,
  loadHfModelFrom,
  loadHfSpecialTokenIdsFrom,
  loadHfWeightsFrom,
} from "../browser/hf-folder-from-source.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";

/*
 * Node entry points of the Hugging Face folder reader: each runs the source-based reader
 * (browser/hf-folder-from-source.ts, shared with the browser loader) over a folder on disk.
 */

/**
 * Reads and parses a JSON file of a model folder (bounded: see `readOptionalMetadataText`);
 * undefined when the file does not exist.
 */
export async function readHfJson(folder: string, fileName: string): Promise<unknown> {
  return readSourceJson(folderSource(folder), fileName);
}

/**
 * Reads a Hugging Face model folder's `config.json` as a {@link DecoderConfig} (see
 * `decoderConfigFromHf`).
 * @throws TokenscopeError MODEL_LOAD_FAILED when the folder has no config.json.
 */
export async function loadHfConfig(folder: string): Promise<DecoderConfig> {
  return loadHfConfigFrom(folderSource(folder));
}

/**
 * Reads the weights of a Hugging Face model folder — `model.safetensors`, or the shards named by
 * `model.safetensors.index.json` — as fp32 under the names the graph builders read, checked
 * against the folder's config (or `config` when given).
 */
export async function loadHfWeights(folder: string, config?: DecoderConfig): Promise<DecoderWeights> {
  return loadHfWeightsFrom(folderSource(folder), config);
}

/** Special token ids of a model folder: config.json, overridden by generation_config.json. */
export async function loadHfSpecialTokenIds(folder: string): Promise<SpecialTokenIds> {
  return loadHfSpecialTokenIdsFrom(folderSource(folder));
}

/** Everything tokenscope reads from a Hugging Face model folder. */
export interface HfModelFolder {
  folder: string;
  config: DecoderConfig;
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
}

/**
 * Loads config, weights and tokenizer of a Hugging Face model folder. The tokenizer's eos ids
 * include those of `config.json` and `generation_config.json` (chat models stop on several).
 */
export async function loadHfFolder(folder: string): Promise<HfModelFolder> {
  return { folder, ...(await loadHfModelFrom(folderSource(folder))) };
}
