import { TokenscopeError } from "@tokenscope/core";
import { viewOf } from "../formats/binary.ts";
import { createScoreBpeTokenizer, type ScoreBpeTokenizer, type ScoreBpeVocabulary } from "./score-bpe.ts";

/** Options of {@link readLlama2cTokenizer}. */
export interface Llama2cTokenizerOptions {
  /** Name of the file, used in error messages. */
  source?: string;
  /** The model's vocabulary size; when given, the file must hold exactly this many tokens. */
  vocabSize?: number;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * Reads the vocabulary of a llama2.c tokenizer file (`tokenizer.bin`, `tok512.bin`): an int32
 * max_token_length, then per token a float32 score, an int32 byte length and the bytes. As in
 * llama2.c, id 0 is unknown, 1 is BOS, 2 is EOS; `<0xNN>` pieces are the byte-fallback tokens.
 */
export function readLlama2cVocabulary(
  bytes: Uint8Array,
  options: Llama2cTokenizerOptions = {},
): ScoreBpeVocabulary {
  const source = options.source ?? "llama2.c tokenizer";
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "This is not a llama2.c tokenizer file, or it is truncated; export it again with tokenizer.py.",
      details: { source },
    });
  };
  if (bytes.byteLength < 4) fail(`the file has ${bytes.byteLength} bytes, too few for the header`);
  const view = viewOf(bytes);
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0) fail(`max_token_length is ${maxTokenLength}`);
  const decoder = new TextDecoder("utf-8");
  const pieces: string[] = [];
  const scores: number[] = [];
  let offset = 4;
  while (
    offset < bytes.byteLength &&
    (options.vocabSize === undefined || pieces.length < options.vocabSize)
  ) {
    if (offset + 8 > bytes.byteLength) fail(`token ${pieces.length} is cut off at byte ${offset}`);
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    if (length < 0 || length > maxTokenLength || offset + 8 + length > bytes.byteLength) {
      fail(
        `token ${pieces.length} at byte ${offset} has length ${length}, beyond the file or max_token_length`,
      );
    }
    pieces.push(decoder.decode(bytes.subarray(offset + 8, offset + 8 + length)));
    scores.push(score);
    offset += 8 + length;
  }
  if (
    options.vocabSize !== undefined &&
    (pieces.length !== options.vocabSize || offset !== bytes.byteLength)
  ) {
    fail(
      `the model has ${options.vocabSize} tokens but the file holds ${pieces.length === options.vocabSize ? "more" : pieces.length}`,
    );
  }
  if (pieces.length < 3) fail(`the file holds ${pieces.length} tokens, fewer than unknown, BOS and EOS`);
  const byteTokenIds = new Array<number>(256).fill(-1);
  pieces.forEach((piece, id) => {
    const match = BYTE_PIECE.exec(piece);
    if (match) byteTokenIds[Number.parseInt(match[1]!, 16)] = id;
  });
  return {
    pieces,
    scores: Float32Array.from(scores),
    byteTokenIds,
    specialIds: new Set([0, 1, 2]),
    unknownId: 0,
    bosId: 1,
    eosId: 2,
    addDummyPrefix: true,
  };
}

/** Reads a llama2.c tokenizer file into a tokenizer that encodes and decodes as llama2.c does. */
export function readLlama2cTokenizer(
  bytes: Uint8Array,
  options: Llama2cTokenizerOptions = {},
): ScoreBpeTokenizer {
  return createScoreBpeTokenizer(readLlama2cVocabulary(bytes, options));
}
