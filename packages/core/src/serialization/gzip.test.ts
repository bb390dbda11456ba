import { gunzipSync as nodeGunzip, gzipSync as nodeGzip } from "node:zlib";
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { makeTestResult, seededRandom } from "./fixtures.test-helpers.ts";
import { crc32, gunzip, gzip, isGzip } from "./gzip.ts";
import { parseResult, serializeResult } from "./serialize.ts";

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

describe("gunzip bounds (decompression bombs in memory)", () => {
  // 40 MiB of zeros gzip to about 40 KB: a thousandfold expansion.
  const bomb = new Uint8Array(nodeGzip(new Uint8Array(40 * 1024 * 1024)));

  it("stops at maxBytes instead of inflating everything", () => {
    expect(() => gunzip(bomb, { maxBytes: 1024 * 1024 })).toThrow(/expands past the limit of 1048576 bytes/);
  });

  it("refuses output past the floor that expands more than the ratio", () => {
    expect(() => gunzip(bomb, { ratioGuard: { floorBytes: 1024 * 1024, maxRatio: 50 } })).toThrow(
      /decompression bomb/,
    );
    // Under the floor, the same ratio passes: small repetitive files stay readable.
    const small = new Uint8Array(nodeGzip(new Uint8Array(512 * 1024)));
    expect(gunzip(small, { ratioGuard: { floorBytes: 1024 * 1024, maxRatio: 50 } }).length).toBe(512 * 1024);
  });

  it("parseResult refuses an in-memory bomb with INVALID_INPUT, and accepts a result under a given maxBytes", () => {
    let error: unknown;
    try {
      parseResult(bomb);
    } catch (caught) {
      error = caught;
    }
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect((error as Error).message).toContain("decompression bomb");
    const saved = serializeResult(makeTestResult(), { gzip: true });
    expect(() => parseResult(saved, { maxBytes: 100 })).toThrow(/expands past the limit of 100 bytes/);
    expect(parseResult(saved, { maxBytes: 10_000_000 }).sequences.length).toBeGreaterThan(0);
  });
});
