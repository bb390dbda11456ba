import { type SpecialTokenIds, TokenscopeError } from "@tokenscope/core";
import { decoderConfigFromHf, hfSpecialTokenIds } from "../hf/config.ts";
import { hfTensorsToDecoderWeights } from "../hf/weights.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import type { DecoderConfig, DecoderWeights } from "../weights/types.ts";
import { type ModelFileSource, readSourceJson, type SourceReadOptions, sourcePath } from "./file-source.ts";
import { loadHfTokenizerFrom } from "./hf-tokenizer-from-source.ts";
import { loadSafetensorsFrom } from "./safetensors-from-source.ts";

/*
 * The Hugging Face causal-LM folder reader over any ModelFileSource. The Node `loadHfFolder`,
 * `loadHfConfig`, `loadHfWeights` and `loadHfSpecialTokenIds` (hf/load-folder.ts) run these over a
 * folder, the browser loader over picked files or a hub repository.
 */

/**
 * A model's `config.json` as a {@link DecoderConfig} (see `decoderConfigFromHf`).
 * @throws TokenscopeError MODEL_LOAD_FAILED when the source has no config.json.
 */
export async function loadHfConfigFrom(source: ModelFileSource): Promise<DecoderConfig> {
  const json = await readSourceJson(source, "config.json");
  if (json === undefined) {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source.id} has no config.json.`, {
      hint: "Point at a Hugging Face model folder (config.json beside the safetensors weights).",
      details: { folder: source.id },
    });
  }
  return decoderConfigFromHf(json, sourcePath(source, "config.json"));
}

/** Safetensors weights as fp32 under the builders' names, checked against `config` (default config.json). */
export async function loadHfWeightsFrom(
  source: ModelFileSource,
  config?: DecoderConfig,
  options?: SourceReadOptions,
): Promise<DecoderWeights> {
  const decoderConfig = config ?? (await loadHfConfigFrom(source));
  return hfTensorsToDecoderWeights(decoderConfig, await loadSafetensorsFrom(source, options), source.id);
}

/** Special token ids: config.json, overridden by generation_config.json. */
export async function loadHfSpecialTokenIdsFrom(source: ModelFileSource): Promise<SpecialTokenIds> {
  return hfSpecialTokenIds(
    await readSourceJson(source, "config.json"),
    await readSourceJson(source, "generation_config.json"),
  );
}

/** Everything tokenscope reads from a Hugging Face causal-LM's files. */
export interface HfModelFiles {
  config: DecoderConfig;
  weights: DecoderWeights;
  tokenizer: TextTokenizer;
}

/**
 * Config, weights and tokenizer of a Hugging Face causal LM. The tokenizer's eos ids include those
 * of `config.json` and `generation_config.json` (chat models stop on several).
 */
export async function loadHfModelFrom(
  source: ModelFileSource,
  options?: SourceReadOptions,
): Promise<HfModelFiles> {
  const config = await loadHfConfigFrom(source);
  const weights = await loadHfWeightsFrom(source, config, options);
  const modelIds = await loadHfSpecialTokenIdsFrom(source);
  const tokenizer = await loadHfTokenizerFrom(source, { extraEosTokenIds: modelIds.eos ?? [] });
  return { config, weights, tokenizer };
}
