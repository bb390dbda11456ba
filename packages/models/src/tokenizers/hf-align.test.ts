import { describe, expect, it } from "vitest";
import { alignPieces } from "./hf-align.ts";

const none = (count: number) => new Array<boolean>(count).fill(false);

describe("alignPieces", () => {
  it("places exact pieces end to end", () => {
    expect(alignPieces("Hello world", ["Hello", " wor", "ld"], none(3))).toEqual([
      [0, 5],
      [5, 9],
      [9, 11],
    ]);
  });

  it("gives an added BOS no span and drops a space SentencePiece writes after it", () => {
    expect(alignPieces("Hello world", ["<s>", " Hello", " world"], [true, false, false])).toEqual([
      null,
      [0, 5],
      [5, 11],
    ]);
    // A lone prefix space the text lacks stays empty instead of taking a later space.
    expect(alignPieces("1 2", ["<s>", " ", "1", " 2"], [true, false, false, false])).toEqual([
      null,
      [0, 0],
      [0, 1],
      [1, 3],
    ]);
  });

  it("gives special tokens written in the text their characters", () => {
    const text = "<|im_start|>user\nhi<|im_end|>";
    expect(
      alignPieces(
        text,
        ["<|im_start|>", "user", "\n", "hi", "<|im_end|>"],
        [true, false, false, false, true],
      ),
    ).toEqual([
      [0, 12],
      [12, 16],
      [16, 17],
      [17, 19],
      [19, 29],
    ]);
  });

  it("gives an unknown token the characters up to the next placed token", () => {
    expect(alignPieces("a ☃☃ b", ["a", " ", "<unk>", " b"], none(4))).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
      [4, 6],
    ]);
    // At the end of the text it takes the rest.
    expect(alignPieces("a ☃", ["a", " ", "<unk>"], none(3))).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it("matches through NFKC and lowercasing normalizers", () => {
    expect(alignPieces("ﬁne", ["fi", "ne"], none(2))).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(alignPieces("HELLO there", ["hel", "lo", " there"], none(3))).toEqual([
      [0, 3],
      [3, 5],
      [5, 11],
    ]);
    expect(alignPieces("cafe\u0301!", ["caf", "é", "!"], none(3))).toEqual([
      [0, 3],
      [3, 5],
      [5, 6],
    ]);
  });

  it("absorbs spaces an lstrip special token or a strip normalizer swallowed", () => {
    expect(alignPieces("a <mask> b", ["a", "<mask>", "b"], [false, true, false])).toEqual([
      [0, 1],
      [1, 8],
      [8, 10],
    ]);
    expect(alignPieces("  hi  ", ["hi"], none(1))).toEqual([[0, 6]]);
  });

  it("keeps byte tokens inside a character empty", () => {
    expect(alignPieces("a😀", ["a", "😀", "", "", ""], none(5))).toEqual([
      [0, 1],
      [1, 3],
      [3, 3],
      [3, 3],
      [3, 3],
    ]);
  });
});
