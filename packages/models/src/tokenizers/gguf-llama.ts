import { TokenscopeError } from "@tokenscope/core";
import { createScoreBpeTokenizer, type ScoreBpeTokenizer, type ScoreBpeVocabulary } from "./score-bpe.ts";

/** llama.cpp's token types (`tokenizer.ggml.token_type`). */
export const ggufTokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
/** SentencePiece writes spaces as U+2581 ("▁") in its pieces. */
const SPACE_MARKER = /\u2581/g;

/**
 * The vocabulary of a GGUF "llama" (SentencePiece) tokenizer from its metadata: pieces with "▁"
 * turned into spaces, scores, byte tokens (type 6), and unknown, control and unused tokens as
 * specials. `source` names the file in error messages.
 */
export function ggufLlamaVocabulary(
  metadata: Record<string, unknown>,
  source = "GGUF file",
): ScoreBpeVocabulary {
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "The GGUF file has no usable tokenizer; convert the model again with llama.cpp.",
      details: { source },
    });
  };
  const model = metadata["tokenizer.ggml.model"];
  if (model !== "llama") {
    throw new TokenscopeError(
      "UNSUPPORTED_ARCHITECTURE",
      `${source}: tokenizer model "${String(model)}" is not a SentencePiece ("llama") tokenizer.`,
      {
        hint: "Load the model's tokenizer.json through the Hugging Face tokenizer instead.",
        details: { source },
      },
    );
  }
  const tokens = metadata["tokenizer.ggml.tokens"];
  if (!Array.isArray(tokens) || !tokens.every((token) => typeof token === "string")) {
    fail("tokenizer.ggml.tokens is missing or not a list of strings");
  }
  const pieces = (tokens as string[]).map((token) => token.replace(SPACE_MARKER, " "));
  const rawScores = metadata["tokenizer.ggml.scores"];
  const rawTypes = metadata["tokenizer.ggml.token_type"];
  const scores = Array.isArray(rawScores)
    ? Float32Array.from(rawScores, Number)
    : new Float32Array(pieces.length);
  const types = Array.isArray(rawTypes) ? rawTypes.map(Number) : pieces.map(() => ggufTokenType.normal);
  if (scores.length !== pieces.length || types.length !== pieces.length) {
    fail(`${pieces.length} tokens but ${scores.length} scores and ${types.length} token types`);
  }
  const byteTokenIds = new Array<number>(256).fill(-1);
  const specialIds = new Set<number>();
  types.forEach((type, id) => {
    const byteMatch = type === ggufTokenType.byte ? BYTE_PIECE.exec(pieces[id]!) : null;
    if (byteMatch) byteTokenIds[Number.parseInt(byteMatch[1]!, 16)] = id;
    else if (
      type === ggufTokenType.unknown ||
      type === ggufTokenType.control ||
      type === ggufTokenType.unused
    ) {
      specialIds.add(id);
    }
  });
  const id = (key: string): number | undefined => {
    const value = metadata[`tokenizer.ggml.${key}`];
    return typeof value === "number" && value >= 0 && value < pieces.length ? value : undefined;
  };
  const vocabulary: ScoreBpeVocabulary = {
    pieces,
    scores,
    byteTokenIds,
    specialIds,
    addDummyPrefix: metadata["tokenizer.ggml.add_space_prefix"] !== false,
  };
  const [bos, eos, unknown] = [id("bos_token_id"), id("eos_token_id"), id("unknown_token_id")];
  if (bos !== undefined) vocabulary.bosId = bos;
  if (eos !== undefined) vocabulary.eosId = eos;
  if (unknown !== undefined) vocabulary.unknownId = unknown;
  return vocabulary;
}

/** A tokenizer for a GGUF "llama" tokenizer: the same algorithm as llama2.c's (see `score-bpe.ts`). */
export function ggufLlamaTokenizer(metadata: Record<string, unknown>, source?: string): ScoreBpeTokenizer {
  return createScoreBpeTokenizer(ggufLlamaVocabulary(metadata, source));
}
