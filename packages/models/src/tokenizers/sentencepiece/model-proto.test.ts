import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { llama2cPiece } from "../../language-model/text-tokenizer.ts";
import { stories260kDir } from "../../testing/assets.test-helpers.ts";
import { readLlama2cVocabulary } from "../llama2c.ts";
import { ModelType, PieceType, readSentencePieceModel, writeSentencePieceModel } from "./model-proto.ts";

const modelBytes = new Uint8Array(readFileSync(join(stories260kDir, "tok512.model")));
const llama2c = readLlama2cVocabulary(new Uint8Array(readFileSync(join(stories260kDir, "tok512.bin"))), {
  vocabSize: 512,
});

function loadError(bytes: Uint8Array): unknown {
  try {
    readSentencePieceModel(bytes, "broken.spm");
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("readSentencePieceModel", () => {
  const model = readSentencePieceModel(modelBytes, "tok512.model");

  it("reads tok512.model: the same 512 pieces and scores as the llama2.c export", () => {
    expect(model.pieces).toHaveLength(512);
    expect(model.pieces.map((p) => p.piece)).toEqual(llama2c.pieces.map(llama2cPiece));
    expect(Array.from(model.pieces, (p) => Math.fround(p.score))).toEqual(Array.from(llama2c.scores));
    expect(model.pieces.slice(0, 4).map((p) => [p.piece, p.type])).toEqual([
      ["<unk>", PieceType.UNKNOWN],
      ["<s>", PieceType.CONTROL],
      ["</s>", PieceType.CONTROL],
      ["<0x00>", PieceType.BYTE],
    ]);
    expect(model.pieces[259]).toEqual({ piece: "\u2581t", score: -0, type: PieceType.NORMAL });
    expect(model.trainerSpec).toMatchObject({
      modelType: ModelType.BPE,
      byteFallback: true,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
    });
    expect(model.normalizerSpec).toMatchObject({
      name: "identity",
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
    });
    expect(model.normalizerSpec.precompiledCharsmap).toHaveLength(0);
  });

  it("round-trips read → write → read", () => {
    const again = readSentencePieceModel(writeSentencePieceModel(model), "rewritten");
    expect(again).toEqual(model);
  });

  it("refuses truncated bytes, wrong wire types, huge lengths and empty models with MODEL_LOAD_FAILED", () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["truncated", modelBytes.subarray(0, 1000), /broken\.spm/],
      // field 1 (pieces) as a varint instead of a message
      ["wrong wire type", Uint8Array.from([0x08, 0x01]), /wire type/],
      // field 1, length 2^28, nothing after it
      ["huge length", Uint8Array.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x01]), /claims 268435456 bytes/],
      ["no pieces", new Uint8Array(0), /no pieces/],
      [
        "garbage",
        Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        /broken\.spm/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const error = loadError(bytes);
      expect(isTokenscopeError(error, "MODEL_LOAD_FAILED"), name).toBe(true);
      expect((error as Error).message, name).toMatch(message);
      expect((error as { hint?: string }).hint, name).toBeTruthy();
    }
  });

  it("skips unknown fields", () => {
    const extra = Uint8Array.from([...modelBytes, 0xa0, 0x06, 0x07, 0xca, 0x06, 0x02, 0x41, 0x42]);
    expect(readSentencePieceModel(extra).pieces).toHaveLength(512);
  });
});
