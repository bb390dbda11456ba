import { TokenscopeError } from "@tokenscope/core";

/** The token CTranslate2 appends to a vocabulary that lacks it (its `Vocabulary` does the same). */
export const CTRANSLATE2_UNKNOWN_TOKEN = "<unk>";

/** More entries than this are refused: real vocabularies hold at most a few hundred thousand. */
const MAX_TOKENS = 4_000_000;

/** A CTranslate2 vocabulary: tokens by id, and ids by token. */
export interface CTranslate2Vocabulary {
  tokens: readonly string[];
  ids: ReadonlyMap<string, number>;
  /** Id of `<unk>` (present or appended). */
  unknownId: number;
}

function invalid(source: string, what: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "A CTranslate2 vocabulary has one token per line (vocabulary.txt) or is a JSON array of strings (vocabulary.json).",
    details: { source },
  });
}

/**
 * Parses a CTranslate2 vocabulary file, as `source_vocabulary.txt` / `target_vocabulary.txt` (one
 * token per line, line ends `\n`, or `\r\n` when every line has one, the final line end optional) or the `*.json` files of newer
 * conversions (a JSON array of strings), and appends `<unk>` when it is absent, as CTranslate2 does.
 * @throws TokenscopeError MODEL_LOAD_FAILED for an empty file, JSON that is not an
 * array of strings, or more than 4,000,000 tokens.
 */
export function parseCTranslate2Vocabulary(
  text: string,
  options: { source?: string; format?: "lines" | "json" } = {},
): CTranslate2Vocabulary {
  const source = options.source ?? "CTranslate2 vocabulary";
  const format = options.format ?? (text.trimStart().startsWith("[") ? "json" : "lines");
  let tokens: string[];
  if (format === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw invalid(source, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!Array.isArray(parsed) || !parsed.every((token) => typeof token === "string")) {
      throw invalid(source, "the JSON is not an array of strings");
    }
    tokens = parsed as string[];
  } else {
    tokens = text.split("\n");
    if (tokens.at(-1) === "") tokens.pop();
    // As CTranslate2: a carriage return is a line end only when every line has one (a token may end in one).
    if (tokens.every((line) => line.endsWith("\r"))) tokens = tokens.map((line) => line.slice(0, -1));
  }
  if (tokens.length === 0) throw invalid(source, "the vocabulary is empty");
  if (tokens.length > MAX_TOKENS) {
    throw invalid(
      source,
      `${tokens.length.toLocaleString("en-US")} tokens, more than the ${MAX_TOKENS.toLocaleString("en-US")} accepted`,
    );
  }
  // A repeated token keeps its first id and still takes an id of its own, as in CTranslate2.
  const ids = new Map<string, number>();
  for (const [id, token] of tokens.entries()) if (!ids.has(token)) ids.set(token, id);
  if (!ids.has(CTRANSLATE2_UNKNOWN_TOKEN)) {
    ids.set(CTRANSLATE2_UNKNOWN_TOKEN, tokens.length);
    tokens.push(CTRANSLATE2_UNKNOWN_TOKEN);
  }
  return { tokens, ids, unknownId: ids.get(CTRANSLATE2_UNKNOWN_TOKEN)! };
}

/** Ids of `tokens`, `<unk>` for a token outside the vocabulary. */
export function ctranslate2TokensToIds(
  vocabulary: CTranslate2Vocabulary,
  tokens: readonly string[],
): number[] {
  return tokens.map((token) => vocabulary.ids.get(token) ?? vocabulary.unknownId);
}
