import { TokenscopeError } from "@tokenscope/core";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { hfTokenizerFromJson } from "../tokenizers/hf-pretrained.ts";
import { configVocabSize } from "../tokenizers/hf-tokenizer-bounds.ts";
import { type ModelFileSource, readSourceJson, readSourceText } from "./file-source.ts";

/** Options of {@link loadHfTokenizerFrom} (and of the Node `loadHfTokenizer`). */
export interface LoadHfTokenizerOptions {
  /** More ids that end generation (config.json / generation_config.json). */
  extraEosTokenIds?: readonly number[];
  /**
   * The model's vocabulary size, which token ids may not go far past; default: config.json's
   * `vocab_size` when the source has a readable one.
   */
  vocabSize?: number;
}

function loadFailed(where: string, what: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the tokenizer of ${where}: ${what}.`, {
    hint,
    details: { folder: where },
    cause,
  });
}

function readJson(source: ModelFileSource, name: string): Promise<unknown> {
  return readSourceJson(source, name, (error) =>
    loadFailed(source.id, `${name} is not valid JSON`, "The file is damaged; download it again.", error),
  );
}

/**
 * config.json's vocabulary size, read leniently: a missing or broken config.json is the model
 * loader's to report, so here it only means that no vocabulary size is known.
 */
async function sourceVocabSize(source: ModelFileSource): Promise<number | undefined> {
  try {
    const text = await readSourceText(source, "config.json");
    return text === undefined ? undefined : configVocabSize(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The chat template saved beside tokenizer_config.json: recent transformers writes it to
 * chat_template.jinja (or chat_template.json), which transformers.js tokenizers do not read.
 */
async function sourceChatTemplate(source: ModelFileSource): Promise<string | undefined> {
  const jinja = await readSourceText(source, "chat_template.jinja");
  if (jinja !== undefined) return jinja;
  const json = (await readJson(source, "chat_template.json")) as { chat_template?: unknown } | undefined;
  return typeof json?.chat_template === "string" ? json.chat_template : undefined;
}

/**
 * The tokenizer of a Hugging Face model's files as transformers.js would load it (see
 * `hfTokenizerFromJson`): tokenizer.json, tokenizer_config.json (without it, the base tokenizer:
 * no special tokens named), chat_template.jinja or chat_template.json when the config holds no chat
 * template, and config.json's `vocab_size` to bound the token ids. The Node `loadHfTokenizer` runs
 * this over a folder.
 * @throws TokenscopeError MODEL_LOAD_FAILED when tokenizer.json is missing, a file is not JSON, an
 *   id or token is out of bounds, or the files do not make a tokenizer.
 */
export async function loadHfTokenizerFrom(
  source: ModelFileSource,
  options: LoadHfTokenizerOptions = {},
): Promise<TextTokenizer> {
  const tokenizerJson = await readJson(source, "tokenizer.json");
  if (tokenizerJson === undefined) {
    throw loadFailed(
      source.id,
      "it has no tokenizer.json",
      "tokenscope reads tokenizer.json only, as transformers.js does; write one from the original tokenizer with Python transformers (AutoTokenizer.from_pretrained(...).save_pretrained(folder)).",
    );
  }
  const tokenizerConfig = await readJson(source, "tokenizer_config.json");
  const chatTemplate = await sourceChatTemplate(source);
  const vocabSize = options.vocabSize ?? (await sourceVocabSize(source));
  return hfTokenizerFromJson(
    {
      tokenizerJson: tokenizerJson as Record<string, unknown>,
      ...(tokenizerConfig !== undefined
        ? { tokenizerConfig: tokenizerConfig as Record<string, unknown> }
        : {}),
      ...(chatTemplate !== undefined ? { chatTemplate } : {}),
    },
    {
      source: source.id,
      ...(options.extraEosTokenIds ? { extraEosTokenIds: options.extraEosTokenIds } : {}),
      ...(vocabSize !== undefined ? { vocabSize } : {}),
    },
  );
}
