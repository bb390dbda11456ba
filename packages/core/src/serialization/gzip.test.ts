import { gunzipSync as nodeGunzip, gzipSync as nodeGzip } from "node:zlib";
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./fixtures.test-helpers.ts";
import { crc32, gunzip, gzip, isGzip } from "./gzip.ts";

const text = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 300 }, (_, index) => ({ index, value: seededRandom(index)() }))),
);

describe("gzip", () => {
  it("computes the standard CRC-32 check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("round-trips, and interoperates with zlib both ways", () => {
    const compressed = gzip(text);
    expect(isGzip(compressed)).toBe(true);
    expect(compressed.length).toBeLessThan(text.length / 2);
    expect(gunzip(compressed)).toEqual(text);
    expect(new Uint8Array(nodeGunzip(compressed))).toEqual(text);
    expect(gunzip(new Uint8Array(nodeGzip(text)))).toEqual(text);
  });

  it("skips optional header fields (file name)", () => {
    const named = gzipSync(text, { filename: "result.json", mtime: 0 });
    expect(named[3]! & 8).toBe(8);
    expect(gunzip(named)).toEqual(text);
  });

  it("is deterministic (no timestamp in the header)", () => {
    expect(gzip(text)).toEqual(gzip(text));
  });

  it("rejects every truncation instead of returning partial data", () => {
    const compressed = gzip(text);
    for (let length = 0; length < compressed.length; length += 1) {
      expect(() => gunzip(compressed.subarray(0, length))).toThrow(/truncated|damaged/);
    }
  });

  it("rejects damaged data by its checksum", () => {
    const compressed = gzip(text);
    const damaged = compressed.slice();
    damaged[damaged.length - 6]! ^= 1;
    expect(() => gunzip(damaged)).toThrow(/checksum/);
  });
});
