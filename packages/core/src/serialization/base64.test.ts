import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { base64ByteLength, decodeBase64, encodeBase64 } from "./base64.ts";
import { seededRandom } from "./fixtures.test-helpers.ts";

function randomBytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe("base64", () => {
  it("matches Node's Buffer for every length up to 64 and for 100 kB", () => {
    for (const length of [...Array.from({ length: 65 }, (_, index) => index), 100_003]) {
      const bytes = randomBytes(length, length + 1);
      const expected = Buffer.from(bytes).toString("base64");
      expect(encodeBase64(bytes)).toBe(expected);
      expect(base64ByteLength(expected)).toBe(length);
      expect(decodeBase64(expected)).toEqual(bytes);
    }
  });

  it("encodes RFC 4648 test vectors", () => {
    const vectors = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"];
    vectors.forEach((encoded, length) => {
      expect(encodeBase64(new TextEncoder().encode("foobar".slice(0, length)))).toBe(encoded);
    });
  });

  it("rejects text that is not padded base64, naming the problem", () => {
    expect(() => decodeBase64("Zm9")).toThrow(/length 3 is not a multiple of 4/);
    expect(() => decodeBase64("Zm!v")).toThrow(/"!" at 2/);
    expect(() => decodeBase64("Z=9v")).toThrow(/"=" at 1/);
    expect(base64ByteLength("Zm9")).toBeNull();
  });
});
