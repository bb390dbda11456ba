import { TokenscopeError } from "@tokenscope/core";
import { bartFamily } from "../encoder-decoder/families/bart.ts";
import type { HfFamilyTokens } from "../encoder-decoder/families/hf-tokens.ts";
import { t5Family } from "../encoder-decoder/families/t5.ts";
import { textTokenizerSides } from "../encoder-decoder/families/text-tokenizer-sides.ts";
import type { EncoderDecoderFamily, EncoderDecoderTokenizer } from "../encoder-decoder/family.ts";
import { bartConfigFromHf } from "../graphs/encoder-decoder/bart-config.ts";
import { bartNames, bartTensorDims } from "../graphs/encoder-decoder/bart-names.ts";
import { t5ConfigFromHf } from "../graphs/encoder-decoder/t5-config.ts";
import { t5Names, t5TensorDims } from "../graphs/encoder-decoder/t5-names.ts";
import { hfEncoderDecoderTensors } from "../hf/encoder-decoder-weights.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { marianTokenizer } from "../tokenizers/sentencepiece/marian-tokenizer.ts";
import { type ModelFileSource, readSourceJson, type SourceReadOptions } from "./file-source.ts";
import { loadHfTokenizerFrom } from "./hf-tokenizer-from-source.ts";
import { loadSafetensorsFrom } from "./safetensors-from-source.ts";

/*
 * The Hugging Face encoder-decoder reader over any ModelFileSource: the Node
 * `loadHfEncoderDecoderFamily` (hf/load-encoder-decoder-folder.ts) runs it over a folder, the
 * browser loader over picked files or a hub repository.
 */

/** The Hugging Face `model_type`s {@link loadHfEncoderDecoderFamilyFrom} reads. */
export const hfEncoderDecoderModelTypes: readonly string[] = ["bart", "mbart", "marian", "t5"];

/** Whether a parsed config.json is of an encoder-decoder family tokenscope reads. */
export function isHfEncoderDecoderConfig(config: unknown): boolean {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  return typeof modelType === "string" && hfEncoderDecoderModelTypes.includes(modelType);
}

type Json = Record<string, unknown>;

/** generation_config.json keys that override config.json's for generation (as transformers reads them). */
const generationKeys = ["decoder_start_token_id", "forced_bos_token_id", "pad_token_id", "bad_words_ids"];

/** config.json with generation_config.json's start, forced BOS, pad and bad words over it (single ids only). */
function withGenerationConfig(config: Json, generation: unknown): Json {
  if (typeof generation !== "object" || generation === null) return config;
  const merged = { ...config };
  for (const key of generationKeys) {
    const value = (generation as Json)[key];
    if (value !== undefined) merged[key] = value;
  }
  const eos = (generation as Json)["eos_token_id"];
  if (typeof eos === "number") merged["eos_token_id"] = eos;
  return merged;
}

/** `bad_words_ids` entries of one token: ids generation never picks (Marian's `[[pad]]`). */
function singleBadWords(config: Json): number[] {
  const value = config["bad_words_ids"];
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) =>
    Array.isArray(entry) && entry.length === 1 && Number.isInteger(entry[0]) && entry[0] >= 0
      ? [entry[0] as number]
      : [],
  );
}

/** Language-code tokens as multilingual tokenizers name them: mBART "fr_XX", M2M100 "__fr__", NLLB "fra_Latn". */
const languageCodePattern = /^(?:__[a-z]{2,3}(?:_[A-Za-z]+)?__|[a-z]{2,3}_[A-Z]{2}|[a-z]{3}_[A-Z][a-z]{3})$/;

/**
 * The target-language tokens of a tokenizer: tokenizer_config.json's `additional_special_tokens`
 * that look like language codes, each with the one special id it encodes to.
 */
async function languageCodes(
  tokenizer: TextTokenizer,
  tokenizerConfig: unknown,
): Promise<Record<string, number>> {
  const listed = (tokenizerConfig as Json | undefined)?.["additional_special_tokens"];
  const codes: Record<string, number> = {};
  if (!Array.isArray(listed)) return codes;
  for (const entry of listed) {
    const code = typeof entry === "string" ? entry : (entry as Json | null)?.["content"];
    if (typeof code !== "string" || !languageCodePattern.test(code)) continue;
    const tokens = await tokenizer.encode(code, { addSpecialTokens: false });
    if (tokens.length === 1 && tokens[0]!.special && tokens[0]!.id !== null) codes[code] = tokens[0]!.id;
  }
  return codes;
}

/** The tokenizer of a folder: tokenizer.json, or Marian's source.spm / target.spm / vocab.json. */
async function loadEncoderDecoderTokenizer(
  files: ModelFileSource,
  vocabSize: number,
): Promise<{ text: TextTokenizer; sides: EncoderDecoderTokenizer }> {
  const folder = files.id;
  const tokenizerConfig = await readSourceJson(files, "tokenizer_config.json");
  if ((await files.read("tokenizer.json")) !== undefined) {
    const text = await loadHfTokenizerFrom(files, { vocabSize });
    return { text, sides: textTokenizerSides(text) };
  }
  const vocab = await readSourceJson(files, "vocab.json");
  const sourceSpm = await files.read("source.spm");
  const targetSpm = await files.read("target.spm");
  if (vocab === undefined || sourceSpm === undefined || targetSpm === undefined) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${folder} has no tokenizer.json and no Marian tokenizer files.`,
      {
        hint: "A BART or T5 folder holds tokenizer.json; a Marian (opus-mt) folder holds source.spm, target.spm and vocab.json.",
        details: { folder },
      },
    );
  }
  const text = marianTokenizer(
    { sourceSpm, targetSpm, vocab, ...(tokenizerConfig !== undefined ? { tokenizerConfig } : {}) },
    { source: folder },
  );
  return { text, sides: textTokenizerSides(text, { targetContinuation: true }) };
}

/**
 * Reads a Hugging Face encoder-decoder folder — config.json (with generation_config.json's
 * decoder start, forced BOS and bad words over it), safetensors weights (single or sharded; F32,
 * F16, BF16 read as fp32), and its tokenizer (tokenizer.json; Marian's .spm files and vocab.json)
 * — as an {@link EncoderDecoderFamily}: BART, mBART, Marian (opus-mt) or T5 / flan-t5. Errors
 * name the source's id (the folder, for the Node loader).
 * @throws TokenscopeError MODEL_LOAD_FAILED (missing or damaged files, weights that do not match
 *   the config), UNSUPPORTED_ARCHITECTURE (another model type or variant).
 */
export async function loadHfEncoderDecoderFamilyFrom(
  files: ModelFileSource,
  options?: SourceReadOptions,
): Promise<EncoderDecoderFamily> {
  const folder = files.id;
  const configJson = (await readSourceJson(files, "config.json")) as Json | undefined;
  if (!isHfEncoderDecoderConfig(configJson)) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${folder}: config.json's model_type is not an encoder-decoder tokenscope reads (${hfEncoderDecoderModelTypes.join(", ")}).`,
      { details: { folder } },
    );
  }
  const json = withGenerationConfig(configJson!, await readSourceJson(files, "generation_config.json"));
  const source = folder;
  const file = await loadSafetensorsFrom(files, options);
  if (json["model_type"] === "t5") {
    const config = t5ConfigFromHf(json);
    const tensors = hfEncoderDecoderTensors(
      file,
      {
        expected: t5TensorDims(config),
        aliases: new Map([
          [
            t5Names.shared,
            [
              "encoder.embed_tokens.weight",
              "decoder.embed_tokens.weight",
              ...(config.tieWordEmbeddings ? [t5Names.lmHead] : []),
            ],
          ],
        ]),
      },
      source,
    );
    const { text, sides } = await loadEncoderDecoderTokenizer(files, config.vocabSize);
    return t5Family({ config, tensors }, sides, await familyTokens(text, files, json));
  }
  const config = bartConfigFromHf(json);
  const tensors = hfEncoderDecoderTensors(
    file,
    {
      expected: bartTensorDims(config),
      aliases: new Map([
        [
          bartNames.shared,
          [
            bartNames.tokenEmbedding("encoder"),
            bartNames.tokenEmbedding("decoder"),
            ...(config.tieWordEmbeddings ? [bartNames.lmHead] : []),
          ],
        ],
      ]),
      ...(config.positions === "sinusoidal"
        ? { ignored: /^model\.(encoder|decoder)\.embed_positions\.weight$/ }
        : {}),
      prefix: "model.",
      zeroWhenAbsent: [bartNames.finalLogitsBias],
    },
    source,
  );
  const { text, sides } = await loadEncoderDecoderTokenizer(files, config.vocabSize);
  return bartFamily({ config, tensors }, sides, await familyTokens(text, files, json));
}

async function familyTokens(
  text: TextTokenizer,
  files: ModelFileSource,
  config: Json,
): Promise<HfFamilyTokens> {
  const codes = await languageCodes(text, await readSourceJson(files, "tokenizer_config.json"));
  return {
    ...(text.specialTokens.unk !== undefined ? { unk: text.specialTokens.unk } : {}),
    languageCodes: codes,
    suppressed: singleBadWords(config),
  };
}
