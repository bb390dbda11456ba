import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { loadResult } from "./files.node.ts";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { gzip } from "./gzip.ts";
import { RESULT_GZIP_RATIO_GUARD } from "./result-bounds.ts";
import { parseResult, serializeResult } from "./serialize.ts";

const folder = mkdtempSync(join(tmpdir(), "tokenscope-result-bounds-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A 31 MiB JSON array of zeros, gzipped to about 31 KB: a thousandfold bomb below the old 32 MiB floor. */
function subFloorBomb(): Uint8Array {
  const text = `[${"0,".repeat((31 * 1024 * 1024) / 2 - 1)}0]`;
  return gzip(new TextEncoder().encode(text));
}

describe("the gzip ratio guard of saved results", () => {
  it("starts at 1 MiB and refuses 50 times expansion", () => {
    expect(RESULT_GZIP_RATIO_GUARD).toEqual({ floorBytes: 1024 * 1024, maxRatio: 50 });
  });

  it("refuses a 31 KB file expanding to 31 MiB, in memory and from disk (was: read, 1.9 s and 616 MB)", async () => {
    const bomb = subFloorBomb();
    expect(bomb.length).toBeLessThan(64 * 1024);
    let caught: unknown;
    try {
      parseResult(bomb);
    } catch (error) {
      caught = error;
    }
    expect(isTokenscopeError(caught, "INVALID_INPUT")).toBe(true);
    expect((caught as Error).message).toContain("decompression bomb");
    const path = join(folder, "bomb.json.gz");
    writeFileSync(path, bomb);
    await expect(loadResult(path)).rejects.toThrow(/decompression bomb/);
  });

  it("accepts saved results, which expand a few times at most, raw tensors included", () => {
    const result = makeTestResult({ sequences: 4, sourceWords: 200, targetWords: 20, rawDims: 16 });
    const text = serializeResult(result, { precision: "float32" });
    const compressed = gzip(text);
    expect(text.length).toBeGreaterThan(RESULT_GZIP_RATIO_GUARD.floorBytes);
    expect(text.length / compressed.length).toBeLessThan(RESULT_GZIP_RATIO_GUARD.maxRatio / 10);
    expect(parseResult(compressed).sequences).toHaveLength(4);
  });
});
