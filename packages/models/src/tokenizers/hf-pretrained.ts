import { Tokenizer } from "@huggingface/tokenizers";
import { type ChatMessage, TokenscopeError } from "@tokenscope/core";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import {
  chatTemplateRenderer,
  chatTemplateVariables,
  configChatTemplates,
  defaultChatTemplate,
} from "./hf-chat-template.ts";
import { configSpecialTokens } from "./hf-special-tokens.ts";
import { type HfPretrainedTokenizer, type HfTextTokenizerOptions, hfTextTokenizer } from "./hf-tokenizer.ts";
import { checkTokenizerJsonBounds, type TokenizerJsonBounds } from "./hf-tokenizer-bounds.ts";

/** A Hugging Face tokenizer's files, already parsed: what {@link hfTokenizerFromJson} builds from. */
export interface HfTokenizerJson {
  /** tokenizer.json. */
  tokenizerJson: Readonly<Record<string, unknown>>;
  /**
   * tokenizer_config.json. Without it no special token is named (no bos/eos/pad/unk ids) and there
   * is no chat template, as transformers.js's base tokenizer has it.
   */
  tokenizerConfig?: Readonly<Record<string, unknown>>;
  /**
   * The chat template to use when tokenizer_config.json has none: recent transformers saves it to
   * chat_template.jinja (or chat_template.json's `chat_template`) instead.
   */
  chatTemplate?: string;
}

/** Options of {@link hfTokenizerFromJson}. */
export interface HfTokenizerFromJsonOptions extends HfTextTokenizerOptions, TokenizerJsonBounds {
  /** Names the files in error messages (a folder, a hub id); default "tokenizer.json". */
  source?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function loadFailed(source: string, what: string, hint: string, cause?: unknown): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the tokenizer of ${source}: ${what}.`, {
    hint,
    details: { source },
    cause,
  });
}

/**
 * The class transformers.js would pick for the tokenizer ("LlamaTokenizer" for
 * "LlamaTokenizerFast"), named in `description`. Every class it has for decoder models is its
 * base `PreTrainedTokenizer` under another name, so the name is all that differs.
 */
export function hfTokenizerClassName(config: Readonly<Record<string, unknown>> | undefined): string {
  const name = config?.["tokenizer_class"];
  return typeof name === "string" && name.length > 0 ? name.replace(/Fast$/, "") : "PreTrainedTokenizer";
}

/**
 * A tokenizer with the surface of transformers.js's `PreTrainedTokenizer`, built as transformers.js
 * 4.3 builds it: `@huggingface/tokenizers` over tokenizer.json and tokenizer_config.json, chat
 * templates rendered by `@huggingface/jinja`. What it reproduces:
 * - ids of `bos_token`, `eos_token`, `unk_token` and `pad_token` (eos when no pad is named), looked
 *   up in the vocabulary and added tokens; each a string or an `{content}` object in the config;
 * - special ids: tokenizer.json's added tokens marked special;
 * - BOS/EOS come from tokenizer.json's post-processor alone. transformers.js 4 reads
 *   `add_bos_token`/`add_eos_token` nowhere in encoding (Python's LlamaTokenizerFast rewrites the
 *   post-processor from them; transformers saves the rewritten one, so the files agree), and it
 *   has no `legacy` switch: tokenizer.json's normalizer and pre-tokenizer say how spaces go;
 * - `clean_up_tokenization_spaces` and `additional_special_tokens` of the config, read by
 *   `@huggingface/tokenizers` itself.
 * Browser-safe: no file access; see `loadHfTokenizer` for reading a folder.
 * Before the library sees tokenizer.json, its token ids and lengths are checked
 * (`checkTokenizerJsonBounds`: ids from 0 to below `limits.vocabulary`, and near `bounds.vocabSize`
 * when given; tokens of at most `limits.tokenChars` characters), which the library trusts.
 * @throws TokenscopeError MODEL_LOAD_FAILED when the files are not objects, when an id or a token
 *   is out of bounds, when `@huggingface/tokenizers` cannot build the tokenizer, or for a
 *   malformed special token or chat template entry.
 */
export function createHfPretrainedTokenizer(
  files: HfTokenizerJson,
  source = "tokenizer.json",
  bounds: TokenizerJsonBounds = {},
): HfPretrainedTokenizer {
  const hint =
    "Check that tokenizer.json and tokenizer_config.json are complete and were written by transformers.";
  if (!isRecord(files.tokenizerJson)) throw loadFailed(source, "tokenizer.json is not a JSON object", hint);
  if (files.tokenizerConfig !== undefined && !isRecord(files.tokenizerConfig)) {
    throw loadFailed(source, "tokenizer_config.json is not a JSON object", hint);
  }
  checkTokenizerJsonBounds(files.tokenizerJson, source, bounds);
  const config = files.tokenizerConfig ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(files.tokenizerJson, config);
  } catch (error) {
    throw loadFailed(source, error instanceof Error ? error.message : String(error), hint, error);
  }
  const specialTokens = configSpecialTokens(config, source);
  const idOf = (token: string | undefined) =>
    token === undefined ? undefined : tokenizer.token_to_id(token);
  const templates = configChatTemplates(config["chat_template"], source) ?? (files.chatTemplate || undefined);
  const render = new Map<string, (variables: Record<string, unknown>) => string>();
  const allSpecialIds = [...tokenizer.get_added_tokens_decoder().values()]
    .filter((token) => token.special)
    .map((token) => token.id);

  return {
    encode: (text, { add_special_tokens = true } = {}) => tokenizer.encode(text, { add_special_tokens }).ids,
    decode: (ids, options = {}) => (ids.length === 0 ? "" : tokenizer.decode(ids, options)),
    apply_chat_template(conversation: ChatMessage[], { add_generation_prompt = false } = {}) {
      if (templates === undefined) {
        throw new TokenscopeError("INVALID_INPUT", `The tokenizer of ${source} has no chat template.`, {
          hint: "Format the prompt yourself, or give the model a chat_template.jinja.",
          details: { source },
        });
      }
      const template = defaultChatTemplate(templates, source);
      const renderer = render.get(template) ?? chatTemplateRenderer(template, source);
      render.set(template, renderer);
      return renderer(chatTemplateVariables(conversation, add_generation_prompt, specialTokens));
    },
    get_vocab: () => tokenizer.get_vocab(),
    all_special_ids: allSpecialIds,
    bos_token_id: idOf(specialTokens.bos_token) ?? null,
    eos_token_id: idOf(specialTokens.eos_token) ?? null,
    pad_token_id: idOf(specialTokens.pad_token ?? specialTokens.eos_token) ?? null,
    unk_token_id: idOf(specialTokens.unk_token) ?? null,
    chat_template: templates,
  };
}

/**
 * A {@link TextTokenizer} with character spans (see `hfTextTokenizer`) from a Hugging Face
 * tokenizer's parsed files (see {@link createHfPretrainedTokenizer}). Runs in browsers: fetch
 * tokenizer.json and tokenizer_config.json, parse them, pass them here.
 * @throws TokenscopeError MODEL_LOAD_FAILED when the files do not make a tokenizer.
 */
export function hfTokenizerFromJson(
  files: HfTokenizerJson,
  options: HfTokenizerFromJsonOptions = {},
): TextTokenizer {
  const { source, vocabSize, ...textOptions } = options;
  const bounds = vocabSize !== undefined ? { vocabSize } : {};
  return hfTextTokenizer(createHfPretrainedTokenizer(files, source, bounds), {
    name: `Hugging Face ${hfTokenizerClassName(files.tokenizerConfig)}`,
    ...textOptions,
  });
}
