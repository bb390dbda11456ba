import { TokenscopeError } from "@tokenscope/core";
import type { TextTokenizer } from "../language-model/text-tokenizer.ts";
import { ggufTokenType } from "./gguf-llama.ts";
import { type HfTokenizerJson, hfTokenizerFromJson } from "./hf-pretrained.ts";

/*
 * A GGUF "gpt2" tokenizer (byte-level BPE: Qwen2, Llama 3, SmolLM, ...) is stored as llama.cpp's
 * converter flattened tokenizer.json: the vocabulary in id order, the merges, token types and the
 * name of the pre-tokenizer (`tokenizer.ggml.pre`). We rebuild that tokenizer.json and hand it to
 * the Hugging Face tokenizer, so a GGUF model tokenizes with the same ids and character spans as
 * its safetensors folder, through the one code path every Hugging Face tokenizer here takes.
 */

/**
 * Qwen2's split before byte-level BPE, as transformers' `Qwen2Tokenizer` (PRETOKENIZE_REGEX) and
 * its tokenizer.json write it; llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2 is the same expression with
 * the case-insensitive contractions spelt out. Unlike GPT-2's, digits split one by one and a
 * letter run takes one leading non-letter ("(hello" stays whole).
 */
const QWEN2_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** What tokenizer.json says before BPE, for one `tokenizer.ggml.pre` value. */
interface PreTokenization {
  normalizer: Record<string, unknown> | null;
  preTokenizer: Record<string, unknown>;
}

const byteLevelNoRegex = {
  type: "ByteLevel",
  add_prefix_space: false,
  trim_offsets: false,
  use_regex: false,
};

/** The `tokenizer.ggml.pre` values tokenscope rebuilds, with what their tokenizer.json holds. */
const preTokenizations: Readonly<Record<string, PreTokenization>> = {
  // Qwen2TokenizerFast's tokenizer.json: NFC, then the Qwen2 split, then bytes to characters.
  qwen2: {
    normalizer: { type: "NFC" },
    preTokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: QWEN2_PRETOKENIZE_REGEX },
          behavior: "Isolated",
          invert: false,
        },
        byteLevelNoRegex,
      ],
    },
  },
  // GPT-2's own: ByteLevel with its built-in regex. llama.cpp writes "default" when it does not
  // recognise the tokenizer and then splits as GPT-2 does.
  "gpt-2": {
    normalizer: null,
    preTokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  },
};

/** The `tokenizer.ggml.pre` values {@link ggufBpeTokenizer} supports ("default" reads as "gpt-2"). */
const ggufBpePreTokenizers: readonly string[] = [...Object.keys(preTokenizations), "default"];

/** Options of {@link ggufBpeTokenizerJson} and {@link ggufBpeTokenizer}. */
export interface GgufBpeTokenizerOptions {
  /** Names the file in error messages; default "GGUF file". */
  source?: string;
  /** The model's vocabulary size, which the tokenizer's ids must fit. */
  vocabSize?: number;
}

function loadFailed(source: string, what: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "The GGUF file has no usable tokenizer; convert the model again with llama.cpp.",
    details: { source },
  });
}

function stringList(metadata: Record<string, unknown>, key: string, source: string): string[] {
  const value = metadata[key];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
    throw loadFailed(source, `${key} is missing or not a list of strings`);
  }
  return value as string[];
}

/**
 * Rebuilds the Hugging Face tokenizer files of a GGUF byte-level BPE tokenizer
 * (`tokenizer.ggml.model` "gpt2"): tokenizer.json with the vocabulary in id order, the merges, the
 * pre-tokenizer `tokenizer.ggml.pre` names, and CONTROL (special) and USER_DEFINED (plain) tokens
 * as added tokens; tokenizer_config.json naming bos/eos/unk/pad by their ids; the chat template of
 * `tokenizer.chat_template`. BOS is prepended only when `tokenizer.ggml.add_bos_token` is true
 * (Qwen2 adds none, as its tokenizer.json does not).
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another tokenizer model or pre-tokenizer
 *   (the supported ones named); MODEL_LOAD_FAILED for missing or inconsistent lists.
 */
function ggufBpeTokenizerJson(metadata: Record<string, unknown>, source = "GGUF file"): HfTokenizerJson {
  const model = metadata["tokenizer.ggml.model"];
  if (model !== "gpt2") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${source}: tokenizer model "${String(model)}" is not a byte-level BPE ("gpt2") tokenizer.`,
      {
        hint: "Load the model's tokenizer.json through the Hugging Face tokenizer instead.",
        details: { source },
      },
    );
  }
  const rawPre = metadata["tokenizer.ggml.pre"];
  const pre = rawPre === undefined || rawPre === "default" ? "gpt-2" : rawPre;
  const preTokenization =
    typeof pre === "string" && Object.hasOwn(preTokenizations, pre) ? preTokenizations[pre] : undefined;
  if (!preTokenization) {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${source}: GGUF pre-tokenizer "${String(rawPre)}" is not supported; supported: ${ggufBpePreTokenizers.join(", ")}.`,
      {
        hint: "Load the model's tokenizer.json through the Hugging Face tokenizer instead.",
        details: { source },
      },
    );
  }
  const tokens = stringList(metadata, "tokenizer.ggml.tokens", source);
  const merges = stringList(metadata, "tokenizer.ggml.merges", source);
  const rawTypes = metadata["tokenizer.ggml.token_type"];
  const types = Array.isArray(rawTypes) ? rawTypes.map(Number) : tokens.map(() => ggufTokenType.normal);
  if (types.length !== tokens.length) {
    throw loadFailed(source, `${tokens.length} tokens but ${types.length} token types`);
  }
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    // A token listed twice keeps its first id, as llama.cpp's token_to_id keeps the first.
    if (!Object.hasOwn(vocab, token)) vocab[token] = id;
  });
  const addedTokens = types.flatMap((type, id) =>
    type === ggufTokenType.control || type === ggufTokenType.userDefined
      ? [
          {
            id,
            content: tokens[id]!,
            single_word: false,
            lstrip: false,
            rstrip: false,
            // llama.cpp matches these in the raw text, before any normalization.
            normalized: false,
            special: type === ggufTokenType.control,
          },
        ]
      : [],
  );
  const tokenOf = (key: string): string | undefined => {
    const id = metadata[`tokenizer.ggml.${key}`];
    return typeof id === "number" && Number.isSafeInteger(id) && id >= 0 && id < tokens.length
      ? tokens[id]
      : undefined;
  };
  const bos = tokenOf("bos_token_id");
  const addBos = metadata["tokenizer.ggml.add_bos_token"] === true && bos !== undefined;
  const postProcessor = addBos
    ? {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [
          { SpecialToken: { id: bos, type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: bos, type_id: 1 } },
          { Sequence: { id: "B", type_id: 1 } },
        ],
        special_tokens: { [bos]: { id: bos, ids: [metadata["tokenizer.ggml.bos_token_id"]], tokens: [bos] } },
      }
    : byteLevelNoRegex;
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: preTokenization.normalizer,
    pre_tokenizer: preTokenization.preTokenizer,
    post_processor: postProcessor,
    decoder: byteLevelNoRegex,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const named = (key: string, token: string | undefined) => (token === undefined ? {} : { [key]: token });
  const tokenizerConfig = {
    tokenizer_class: pre === "qwen2" ? "Qwen2TokenizerFast" : "GPT2TokenizerFast",
    clean_up_tokenization_spaces: false,
    ...named("bos_token", bos),
    ...named("eos_token", tokenOf("eos_token_id")),
    ...named("unk_token", tokenOf("unknown_token_id")),
    ...named("pad_token", tokenOf("padding_token_id")),
  };
  const chatTemplate = metadata["tokenizer.chat_template"];
  return {
    tokenizerJson,
    tokenizerConfig,
    ...(typeof chatTemplate === "string" && chatTemplate.length > 0 ? { chatTemplate } : {}),
  };
}

/**
 * A {@link TextTokenizer} with character spans for a GGUF byte-level BPE tokenizer: the Hugging
 * Face tokenizer over the files {@link ggufBpeTokenizerJson} rebuilds. Browser-safe.
 * @throws TokenscopeError as {@link ggufBpeTokenizerJson}, or MODEL_LOAD_FAILED when the rebuilt
 *   files make no tokenizer (ids beyond `vocabSize`, over-long tokens).
 */
export function ggufBpeTokenizer(
  metadata: Record<string, unknown>,
  options: GgufBpeTokenizerOptions = {},
): TextTokenizer {
  const source = options.source ?? "GGUF file";
  const files = ggufBpeTokenizerJson(metadata, source);
  return hfTokenizerFromJson(files, {
    source,
    ...(options.vocabSize !== undefined ? { vocabSize: options.vocabSize } : {}),
    name: `GGUF ${String(metadata["tokenizer.ggml.pre"] ?? "gpt-2")} byte-level BPE (Hugging Face tokenizer)`,
  });
}
