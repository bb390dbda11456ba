import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { jsonNestingDepth } from "./json-depth.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("jsonNestingDepth", () => {
  it("counts nested arrays and objects, in text and in UTF-8 bytes", () => {
    const cases: [string, number][] = [
      ["1", 0],
      ['"a"', 0],
      ["[]", 1],
      ['{"a": [1, {"b": []}]}', 4],
      ["[[], [[]], []]", 3],
      ['{"猫": ["é", {"🐈": 1}]}', 3],
    ];
    for (const [text, depth] of cases) {
      expect(jsonNestingDepth(text), text).toBe(depth);
      expect(jsonNestingDepth(bytes(text)), text).toBe(depth);
      expect(JSON.parse(text)).toBeDefined();
    }
  });

  it("skips brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ a: '[[[{{{"\\]]]', b: ["\\", '"['] });
    expect(jsonNestingDepth(text)).toBe(2);
    expect(jsonNestingDepth(bytes(text))).toBe(2);
  });

  it("stops as soon as the depth passes the bound: ten million levels in a few milliseconds", () => {
    const deep = `${"[".repeat(10_000_000)}${"]".repeat(10_000_000)}`;
    const started = performance.now();
    expect(jsonNestingDepth(deep, 1_000)).toBe(1_001);
    expect(jsonNestingDepth(bytes(deep), 1_000)).toBe(1_001);
    expect(performance.now() - started).toBeLessThan(500);
    expect(gzipSync(deep).byteLength).toBeLessThan(40_000);
  });

  // Its speed is a benchmark's business (a wall-clock limit here failed on a loaded CI machine).
  it("scans 64 MB of ordinary JSON in one pass and gets its depth right", () => {
    const row = JSON.stringify({
      tokens: ["a", "b[", "c"],
      scores: [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
    });
    const text = `[${Array.from({ length: Math.ceil((64 * 1024 * 1024) / row.length) }, () => row).join(",")}]`;
    const encoded = bytes(text);
    expect(jsonNestingDepth(encoded, 1_000)).toBe(4);
    expect(jsonNestingDepth(encoded, 3)).toBe(4);
  });
});
