import { join } from "node:path";
import { type SpecialTokenIds, TokenscopeError } from "@tokenscope/core";
import { loadSafetensorsFolder } from "../formats/node-loaders.ts";
import { readOptionalMetadataText } from "../formats/read-file.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { loadHfTokenizer } from "../tokenizers/hf-load-tokenizer.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";
import { decoderConfigFromHf, hfSpecialTokenIds } from "./config.ts";
import { hfTensorsToDecoderWeights } from "./weights.ts";

/**
 * Reads and parses a JSON file of a model folder (bounded: see `readOptionalMetadataText`);
 * undefined when the file does not exist.
 */
export async function readHfJson(folder: string, fileName: string): Promise<unknown> {
  const path = join(folder, fileName);
  const text = await readOptionalMetadataText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${path} is not valid JSON.`, {
      hint: "The file is damaged; download it again.",
      details: { path },
      cause: error,
    });
  }
}

/**
 * Reads a Hugging Face model folder's `config.json` as a {@link DecoderConfig} (see
 * `decoderConfigFromHf`).
 * @throws TokenscopeError MODEL_LOAD_FAILED when the folder has no config.json.
 */
export async function loadHfConfig(folder: string): Promise<DecoderConfig> {
  const path = join(folder, "config.json");
  const json = await readHfJson(folder, "config.json");
  if (json === undefined) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${folder} has no config.json.`, {
      hint: "Point at a Hugging Face model folder (config.json beside the safetensors weights).",
      details: { folder },
    });
  }
  return decoderConfigFromHf(json, path);
}

/**
 * Reads the weights of a Hugging Face model folder — `model.safetensors`, or the shards named by
 * `model.safetensors.index.json` — as fp32 under the names the graph builders read, checked
 * against the folder's config (or `config` when given).
 */
export async function loadHfWeights(folder: string, config?: DecoderConfig): Promise<DecoderWeights> {
  const decoderConfig = config ?? (await loadHfConfig(folder));
  return hfTensorsToDecoderWeights(decoderConfig, await loadSafetensorsFolder(folder), folder);
}

/** Special token ids of a model folder: config.json, overridden by generation_config.json. */
export async function loadHfSpecialTokenIds(folder: string): Promise<SpecialTokenIds> {
  return hfSpecialTokenIds(
    await readHfJson(folder, "config.json"),
    await readHfJson(folder, "generation_config.json"),
  );
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
  const config = await loadHfConfig(folder);
  const weights = await loadHfWeights(folder, config);
  const modelIds = await loadHfSpecialTokenIds(folder);
  const tokenizer = await loadHfTokenizer(folder, { extraEosTokenIds: modelIds.eos ?? [] });
  return { folder, config, weights, tokenizer };
}
