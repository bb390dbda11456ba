import { limits, TokenscopeError } from "@tokenscope/core";

/*
 * What tokenscope checks of a tokenizer.json before `@huggingface/tokenizers` sees it. The library
 * trusts the file: it stores each token at `vocab[id]` in a plain array and later walks the array
 * to its length, so one entry `"evil": 1000000000` made a synchronous loop over 10^9 slots (75 s,
 * deaf to Ctrl-C); and its added-token matching needs memory that grows faster than a token's
 * length (one 10 MB added token peaked at 2 GB). Both are refused here, naming the token.
 */

/** What the checks may know beyond the file. */
export interface TokenizerJsonBounds {
  /** The model's vocabulary size (config.json's `vocab_size`), when known: ids far past it are refused. */
  vocabSize?: number;
}

/** How far past the model's `vocab_size` a token id may go: as far again, and at least 1,024 ids. */
function largestIdFor(vocabSize: number | undefined): { max: number; why: string } {
  const fromLimit = {
    max: limits.vocabulary.max - 1,
    why: limits.vocabulary.reason,
  };
  if (vocabSize === undefined || !Number.isSafeInteger(vocabSize) || vocabSize <= 0) return fromLimit;
  const max = vocabSize + Math.max(vocabSize, 1024) - 1;
  if (max >= fromLimit.max) return fromLimit;
  return {
    max,
    why: `the model's vocab_size is ${vocabSize.toLocaleString("en-US")}, and ids reach at most as far again past it, or 1,024`,
  };
}

/** A token quoted for a message: at most 40 characters (the message is made terminal-safe where printed). */
function quoted(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Refuses a tokenizer.json whose `model.vocab` or `added_tokens` hold an id that is not an integer
 * from 0 to the largest plausible id (below `limits.vocabulary`, and within twice the model's
 * `vocab_size` when known), or a token longer than `limits.tokenChars`. Entries that are not
 * shaped as the format says are left to the library, which reports them itself.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming the token and its id.
 */
export function checkTokenizerJsonBounds(
  tokenizerJson: Readonly<Record<string, unknown>>,
  source: string,
  bounds: TokenizerJsonBounds = {},
): void {
  const largest = largestIdFor(bounds.vocabSize);
  const refuse = (what: string, hint: string, details: Record<string, unknown>): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load the tokenizer of ${source}: ${what}.`, {
      hint,
      details: { source, ...details },
    });
  };
  const damaged =
    "The tokenizer.json is damaged or was not written by a tokenizer library; download it again.";
  const checkToken = (where: string, token: string) => {
    if (token.length > limits.tokenChars.max) {
      refuse(
        `${where} has a token of ${token.length.toLocaleString("en-US")} characters (${quoted(token)}), above tokenscope's limit of ${limits.tokenChars.max.toLocaleString("en-US")} (${limits.tokenChars.reason})`,
        damaged,
        { limit: "tokenChars", characters: token.length },
      );
    }
  };
  const checkId = (where: string, token: string, id: unknown) => {
    if (typeof id === "number" && Number.isInteger(id) && id >= 0 && id <= largest.max) return;
    const shown = typeof id === "number" ? id.toLocaleString("en-US") : JSON.stringify(id)?.slice(0, 40);
    refuse(
      `${where} gives the token ${quoted(token)} the id ${shown}; token ids are integers from 0 to ${largest.max.toLocaleString("en-US")} (${largest.why})`,
      damaged,
      { token: token.slice(0, 40), id: typeof id === "number" ? id : String(id).slice(0, 40) },
    );
  };
  const checkVocabObject = (where: string, vocab: Record<string, unknown>) => {
    for (const token of Object.keys(vocab)) {
      const id = vocab[token];
      checkToken(where, token);
      // Per-language vocabularies (a "Legacy" model read with target_lang) nest one level.
      if (isRecord(id)) checkVocabObject(`${where}.${token.slice(0, 40)}`, id);
      else checkId(where, token, id);
    }
  };

  const model = tokenizerJson["model"];
  const vocab = isRecord(model) ? model["vocab"] : undefined;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs whose ids are their positions.
    if (vocab.length > limits.vocabulary.max) {
      refuse(
        `model.vocab has ${vocab.length.toLocaleString("en-US")} entries, above tokenscope's limit of ${limits.vocabulary.max.toLocaleString("en-US")} (${limits.vocabulary.reason})`,
        damaged,
        { limit: "vocabulary", entries: vocab.length },
      );
    }
    for (const entry of vocab) {
      if (Array.isArray(entry) && typeof entry[0] === "string") checkToken("model.vocab", entry[0]);
    }
  } else if (isRecord(vocab)) {
    checkVocabObject("model.vocab", vocab);
  }
  const added = tokenizerJson["added_tokens"];
  if (Array.isArray(added)) {
    for (const entry of added) {
      if (!isRecord(entry)) continue;
      const content = typeof entry["content"] === "string" ? entry["content"] : String(entry["content"]);
      checkToken("added_tokens", content);
      checkId("added_tokens", content, entry["id"]);
    }
  }
}

/**
 * The vocabulary size a model folder's config.json states (`vocab_size`, or `text_config.vocab_size`
 * for a model that wraps a language model), or undefined when it states none.
 */
export function configVocabSize(config: unknown): number | undefined {
  if (!isRecord(config)) return undefined;
  const direct = config["vocab_size"];
  if (Number.isSafeInteger(direct) && (direct as number) > 0) return direct as number;
  const text = config["text_config"];
  const nested = isRecord(text) ? text["vocab_size"] : undefined;
  return Number.isSafeInteger(nested) && (nested as number) > 0 ? (nested as number) : undefined;
}
