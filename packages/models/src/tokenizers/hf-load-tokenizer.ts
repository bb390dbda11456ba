import { folderSource } from "../browser/folder-source.ts";
import { type LoadHfTokenizerOptions, loadHfTokenizerFrom } from "../browser/hf-tokenizer-from-source.ts";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";

export type { LoadHfTokenizerOptions };

/**
 * Loads the tokenizer of a local Hugging Face model folder as transformers.js would
 * (`@huggingface/tokenizers` and `@huggingface/jinja`, see `createHfPretrainedTokenizer`) and wraps
 * it as a {@link TextTokenizer} with character spans (see `hfTextTokenizer`). Reads tokenizer.json,
 * tokenizer_config.json (without it, the base tokenizer: no special tokens named), and
 * chat_template.jinja or chat_template.json when the config holds no chat template, and config.json's
 * `vocab_size` to bound the token ids (see `checkTokenizerJsonBounds`). The reading is
 * `loadHfTokenizerFrom`'s, over the folder, so browsers load tokenizers the same way.
 * @throws TokenscopeError MODEL_LOAD_FAILED when tokenizer.json is missing, a file is not JSON, an
 *   id or token is out of bounds, or the files do not make a tokenizer; IO_ERROR when a file exists
 *   but cannot be read.
 */
export async function loadHfTokenizer(
  folder: string,
  options: LoadHfTokenizerOptions = {},
): Promise<TextTokenizer> {
  return loadHfTokenizerFrom(folderSource(folder), options);
}
