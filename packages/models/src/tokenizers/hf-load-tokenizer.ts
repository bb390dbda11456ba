import { join } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import { readOptionalMetadataText } from "../formats/read-file.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { hfTokenizerFromJson } from "./hf-pretrained.ts";
import { configVocabSize } from "./hf-tokenizer-bounds.ts";

/** Options of {@link loadHfTokenizer}. */
export interface LoadHfTokenizerOptions {
  /** More ids that end generation (config.json / generation_config.json). */
  extraEosTokenIds?: readonly number[];
  /**
   * The model's vocabulary size, which token ids may not go far past; default: config.json's
   * `vocab_size` when the folder has a readable one.
   */
  vocabSize?: number;
}

function loadFailed(folder: string, what: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the tokenizer of ${folder}: ${what}.`, {
    hint,
    details: { folder },
    cause,
  });
}

/** A JSON file of the folder, parsed; undefined when it does not exist. */
async function readJson(folder: string, name: string): Promise<unknown> {
  const text = await readOptionalMetadataText(join(folder, name));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw loadFailed(folder, `${name} is not valid JSON`, "The file is damaged; download it again.", error);
  }
}

/**
 * config.json's vocabulary size, read leniently: a missing or broken config.json is the model
 * loader's to report, so here it only means that no vocabulary size is known.
 */
async function folderVocabSize(folder: string): Promise<number | undefined> {
  try {
    const text = await readOptionalMetadataText(join(folder, "config.json"));
    return text === undefined ? undefined : configVocabSize(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The chat template saved beside tokenizer_config.json: recent transformers writes it to
 * chat_template.jinja (or chat_template.json), which transformers.js tokenizers do not read.
 */
async function folderChatTemplate(folder: string): Promise<string | undefined> {
  const jinja = await readOptionalMetadataText(join(folder, "chat_template.jinja"));
  if (jinja !== undefined) return jinja;
  const json = (await readJson(folder, "chat_template.json")) as { chat_template?: unknown } | undefined;
  return typeof json?.chat_template === "string" ? json.chat_template : undefined;
}

/**
 * Loads the tokenizer of a local Hugging Face model folder as transformers.js would
 * (`@huggingface/tokenizers` and `@huggingface/jinja`, see `createHfPretrainedTokenizer`) and wraps
 * it as a {@link TextTokenizer} with character spans (see `hfTextTokenizer`). Reads tokenizer.json,
 * tokenizer_config.json (without it, the base tokenizer: no special tokens named), and
 * chat_template.jinja or chat_template.json when the config holds no chat template, and config.json's
 * `vocab_size` to bound the token ids (see `checkTokenizerJsonBounds`).
 * @throws TokenscopeError MODEL_LOAD_FAILED when tokenizer.json is missing, a file is not JSON, an
 *   id or token is out of bounds, or the files do not make a tokenizer; IO_ERROR when a file exists
 *   but cannot be read.
 */
export async function loadHfTokenizer(
  folder: string,
  options: LoadHfTokenizerOptions = {},
): Promise<TextTokenizer> {
  const tokenizerJson = await readJson(folder, "tokenizer.json");
  if (tokenizerJson === undefined) {
    throw loadFailed(
      folder,
      "it has no tokenizer.json",
      "tokenscope reads tokenizer.json only, as transformers.js does; write one from the original tokenizer with Python transformers (AutoTokenizer.from_pretrained(...).save_pretrained(folder)).",
    );
  }
  const tokenizerConfig = await readJson(folder, "tokenizer_config.json");
  const chatTemplate = await folderChatTemplate(folder);
  const vocabSize = options.vocabSize ?? (await folderVocabSize(folder));
  return hfTokenizerFromJson(
    {
      tokenizerJson: tokenizerJson as Record<string, unknown>,
      ...(tokenizerConfig !== undefined
        ? { tokenizerConfig: tokenizerConfig as Record<string, unknown> }
        : {}),
      ...(chatTemplate !== undefined ? { chatTemplate } : {}),
    },
    {
      source: folder,
      ...(options.extraEosTokenIds ? { extraEosTokenIds: options.extraEosTokenIds } : {}),
      ...(vocabSize !== undefined ? { vocabSize } : {}),
    },
  );
}
