import { describe, expect, it } from "vitest";
import { type DecodeIds, tokenPieces } from "./hf-pieces.ts";

/** A byte-level decoder: each id is some bytes; decoding is UTF-8 with replacement characters. */
function byteDecoder(vocabulary: Uint8Array[]): { decode: DecodeIds; decodedTokens: () => number } {
  let decodedTokens = 0;
  const decoder = new TextDecoder();
  return {
    decode: (ids) => {
      decodedTokens += ids.length;
      const bytes = ids.flatMap((id) => [...vocabulary[id]!]);
      return decoder.decode(new Uint8Array(bytes));
    },
    decodedTokens: () => decodedTokens,
  };
}

/** Byte tokens for a text: one id per byte (id = byte value), plus whole-ASCII-word ids from 256 on. */
function byteTokens(text: string): { ids: number[]; vocabulary: Uint8Array[] } {
  const vocabulary = Array.from({ length: 256 }, (_, b) => new Uint8Array([b]));
  const ids: number[] = [];
  for (const part of text.match(/ ?[a-z]+|[^a-z]/gu) ?? []) {
    if (/^ ?[a-z]+$/.test(part)) {
      vocabulary.push(new TextEncoder().encode(part));
      ids.push(vocabulary.length - 1);
    } else {
      ids.push(...new TextEncoder().encode(part));
    }
  }
  return { ids, vocabulary };
}

describe("tokenPieces", () => {
  it("byte tokens: pieces concatenate to the text; a split character goes to its first byte", () => {
    const text = "hi 😀 naïve 日本\n";
    const { ids, vocabulary } = byteTokens(text);
    const { decode } = byteDecoder(vocabulary);
    const pieces = tokenPieces(ids, decode);
    expect(pieces.join("")).toBe(text);
    expect(pieces.length).toBe(ids.length);
    const emojiStart = ids.indexOf(0xf0);
    expect(pieces.slice(emojiStart, emojiStart + 4)).toEqual(["😀", "", "", ""]);
    const ni = ids.indexOf(0xc3);
    expect(pieces.slice(ni, ni + 2)).toEqual(["ï", ""]);
  });

  it("a token that ends a word and starts a character owns the whole character", () => {
    // [ "a" + first two bytes of "€", last byte of "€" + "b" ]
    const euro = new TextEncoder().encode("€");
    const vocabulary = [new Uint8Array([0x61, euro[0]!, euro[1]!]), new Uint8Array([euro[2]!, 0x62])];
    const { decode } = byteDecoder(vocabulary);
    expect(tokenPieces([0, 1], decode)).toEqual(["a€", "b"]);
  });

  it("pieces after `from` read as the continuation of the tokens before", () => {
    const text = "one two 😀 three";
    const { ids, vocabulary } = byteTokens(text);
    const { decode } = byteDecoder(vocabulary);
    expect(tokenPieces(ids, decode, { from: 1 }).join("")).toBe(" two 😀 three");
    // The prompt ends inside the emoji: its first byte after the prompt shows it.
    const inside = ids.indexOf(0xf0) + 2;
    const continuation = tokenPieces(ids, decode, { from: inside });
    expect(continuation.join("")).toBe("😀 three");
    expect(continuation.slice(0, 3)).toEqual(["😀", "", " three"]);
  });

  it("SentencePiece: the first token's invented space is dropped, later ones kept", () => {
    const vocabulary = ["▁Hello", "▁world", "!", "▁", "▁▁"];
    const decode: DecodeIds = (ids) =>
      ids
        .map((id) => vocabulary[id]!)
        .join("")
        .replaceAll("▁", " ")
        .replace(/^ /, "");
    expect(tokenPieces([0, 1, 2], decode)).toEqual(["Hello", " world", "!"]);
    expect(tokenPieces([3, 4, 0], decode)).toEqual(["", "  ", " Hello"]);
    // Decoding from the middle keeps the space, as a continuation should.
    expect(tokenPieces([0, 1, 2], decode, { from: 1 })).toEqual([" world", "!"]);
  });

  it("falls back to exact prefix decoding when windows do not add up, and still sums to the decode", () => {
    // A decoder whose output is not additive: it brackets the whole text.
    const vocabulary = ["a", "b", "c", "d"];
    const decode: DecodeIds = (ids) =>
      ids.length === 0 ? "" : `[${ids.map((id) => vocabulary[id]).join("")}]`;
    const pieces = tokenPieces([0, 1, 2, 3], decode);
    expect(pieces.join("")).toBe("[abcd]");
    expect(pieces).toEqual(["[a", "b", "c", "d]"]);
  });

  it("decodes a linear number of tokens on long inputs", () => {
    const text = "the river runs past the old mill 😀 and under the bridge ".repeat(20);
    const { ids, vocabulary } = byteTokens(text);
    const counter = byteDecoder(vocabulary);
    const pieces = tokenPieces(ids, counter.decode, { window: 8 });
    expect(pieces.join("")).toBe(text);
    // Two windows of at most 9 tokens per token, plus two whole decodes.
    expect(counter.decodedTokens()).toBeLessThan(ids.length * 2 * 10 + 2 * ids.length);
    expect(ids.length).toBeGreaterThan(300);
  });
});
