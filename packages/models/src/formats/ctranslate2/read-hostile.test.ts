import { TokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { readCTranslate2Model } from "./read-model.ts";
import { writeCTranslate2Model } from "./write-model.test-helpers.ts";

/** The error readCTranslate2Model throws on `bytes`; fails the test when it throws something else or nothing. */
function failure(bytes: Uint8Array): TokenscopeError {
  try {
    readCTranslate2Model(bytes, { source: "hostile.bin" });
  } catch (error) {
    if (error instanceof TokenscopeError) return error;
    throw new Error(`not a TokenscopeError: ${String(error)}`);
  }
  throw new Error("no error");
}

const good = (binaryVersion = 2) =>
  writeCTranslate2Model({
    binaryVersion,
    variables: [
      { name: "encoder/w", dims: [3, 2], values: [1, 2, 3, 4, 5, 6] },
      { name: "encoder/b", dims: [3], values: [1, 2, 3] },
    ],
    aliases: [["decoder/w", "encoder/w"]],
  });

/** `bytes` with the u32 at `offset` replaced. */
function patchU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(offset, value, true);
  return copy;
}

// version (4) + spec "TransformerBase" (2 + 16) + revision (4) = 26: the variable count.
const COUNT_OFFSET = 26;
// count (4) + name "encoder/w" (2 + 10) + rank (1) + dims (8) = item size byte (version 2).
const FIRST_ITEM_SIZE = COUNT_OFFSET + 4 + 12 + 1 + 8;

describe("readCTranslate2Model on hostile bytes", () => {
  it("fails with MODEL_LOAD_FAILED at every truncation, never a RangeError", () => {
    for (const version of [2, 6]) {
      const bytes = good(version);
      for (let length = 0; length < bytes.byteLength; length++) {
        const error = failure(bytes.subarray(0, length));
        expect(error.code).toBe("MODEL_LOAD_FAILED");
        expect(error.message).toMatch(/^hostile\.bin: /);
      }
    }
  });

  it("refuses trailing bytes", () => {
    const error = failure(Uint8Array.from([...good(), 0, 0]));
    expect(error.message).toContain("2 bytes follow the last field");
  });

  it("refuses binary versions it does not know", () => {
    for (const version of [0, 1, 7, 0xffffffff]) {
      const error = failure(patchU32(good(), 0, version));
      expect(error.code).toBe("MODEL_LOAD_FAILED");
      expect(error.message).toContain(`binary version ${version}`);
    }
  });

  it("checks an absurd variable count against the bytes left before looping", () => {
    const error = failure(patchU32(good(), COUNT_OFFSET, 0xffffffff));
    expect(error.message).toContain("the number of variables is 4294967295");
  });

  it("refuses a string longer than the file, of length 0, or without its NUL", () => {
    const bytes = good();
    const long = bytes.slice();
    new DataView(long.buffer).setUint16(4, 0xffff, true);
    expect(failure(long).message).toContain("inside the spec name");
    const empty = bytes.slice();
    new DataView(empty.buffer).setUint16(4, 0, true);
    expect(failure(empty).message).toContain("the spec name has length 0");
    const noNul = bytes.slice();
    noNul[4 + 2 + 15] = 0x41;
    expect(failure(noNul).message).toContain("does not end with a NUL");
  });

  it("refuses an unknown item size (version 2) and an unknown type id (version 4)", () => {
    const bytes = good();
    const odd = bytes.slice();
    odd[FIRST_ITEM_SIZE] = 3;
    expect(failure(odd).message).toContain("item size 3");
    const v4 = good(4);
    const typed = v4.slice();
    typed[FIRST_ITEM_SIZE] = 9;
    expect(failure(typed).message).toContain("type id 9");
  });

  it("refuses a payload size that does not match the shape, and absurd dimensions", () => {
    const bytes = good();
    expect(failure(patchU32(bytes, FIRST_ITEM_SIZE + 1, 5)).message).toContain(
      "needs 24 bytes but declares 20",
    );
    // Dimension 0 of the first variable: 2^32 - 1 rows; the declared size then disagrees, before any allocation.
    expect(failure(patchU32(bytes, FIRST_ITEM_SIZE - 8, 0xffffffff)).message).toContain("needs");
  });

  it("refuses a rank beyond 8", () => {
    const bytes = good();
    const ranked = bytes.slice();
    ranked[FIRST_ITEM_SIZE - 9] = 200;
    expect(failure(ranked).message).toContain("rank 200");
  });

  it("refuses duplicate names, aliases of nothing and aliases shadowing variables", () => {
    const twice = writeCTranslate2Model({
      variables: [
        { name: "x", dims: [1], values: [1] },
        { name: "x", dims: [1], values: [2] },
      ],
    });
    expect(failure(twice).message).toContain("appears twice");
    const dangling = writeCTranslate2Model({
      binaryVersion: 3,
      variables: [{ name: "x", dims: [1], values: [1] }],
      aliases: [["y", "z"]],
    });
    expect(failure(dangling).message).toContain("which is no variable");
    const shadow = writeCTranslate2Model({
      binaryVersion: 3,
      variables: [
        { name: "x", dims: [1], values: [1] },
        { name: "y", dims: [1], values: [1] },
      ],
      aliases: [["y", "x"]],
    });
    expect(failure(shadow).message).toContain("also the name of a variable");
  });

  it("refuses names that are not UTF-8", () => {
    const bytes = good();
    const bad = bytes.slice();
    bad[COUNT_OFFSET + 4 + 2] = 0xff;
    expect(failure(bad).message).toContain("not valid UTF-8");
  });
});
