import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ErrorCode, isTokenscopeError, type TokenscopeError } from "../errors/index.ts";
import { loadResult, loadResults, perSequencePath, saveResult } from "../node.ts";
import { makeTestResult, mapScores } from "./fixtures.test-helpers.ts";
import { serializeResult } from "./serialize.ts";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "tokenscope-files-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<TokenscopeError> {
  try {
    await promise;
  } catch (error) {
    if (isTokenscopeError(error, code)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

const result = makeTestResult({ sequences: 2, rawDims: 2 });

describe("saveResult and loadResult", () => {
  for (const name of ["plain.json", "packed.json.gz"]) {
    it(`round-trips ${name} (gzip chosen by the suffix)`, async () => {
      const path = join(folder, name);
      expect(await saveResult(result, path, { precision: "float64" })).toEqual([path]);
      const bytes = await readFile(path);
      expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(name.endsWith(".gz"));
      expect(await loadResult(path)).toEqual(result);
      // Default precision float32: the fixture's raw tensors are Float32Arrays already.
      await saveResult(result, path);
      expect(mapScores(await loadResult(path), Math.fround)).toEqual(mapScores(result, Math.fround));
    });
  }

  it("lets an explicit gzip option override the suffix", async () => {
    const path = join(folder, "forced.json");
    await saveResult(result, path, { gzip: true });
    expect((await readFile(path))[0]).toBe(0x1f);
    expect((await loadResult(path)).sequences).toHaveLength(2);
  });

  it("writes one file per sequence, each loading and validating alone", async () => {
    const paths = await saveResult(result, join(folder, "split", "out.json.gz"), {
      perSequence: true,
      precision: "float64",
    });
    expect(paths).toEqual([join(folder, "split", "out-0.json.gz"), join(folder, "split", "out-1.json.gz")]);
    const loaded = await loadResults(paths);
    loaded.forEach((part, index) => {
      expect(part.info).toEqual(result.info);
      expect(part.sequences).toEqual([result.sequences[index]]);
    });
    expect((await readdir(join(folder, "split"))).sort()).toEqual(["out-0.json.gz", "out-1.json.gz"]);
  });

  it("names per-sequence files before their extension", () => {
    expect(perSequencePath("out.json", 0)).toBe("out-0.json");
    expect(perSequencePath("runs/out.json.gz", 12)).toBe("runs/out-12.json.gz");
    expect(perSequencePath("runs.v2/out", 1)).toBe("runs.v2/out-1");
    expect(perSequencePath("out.gz", 3)).toBe("out-3.gz");
  });

  it("replaces an existing file, and leaves no temporary file behind", async () => {
    const path = join(folder, "replace", "r.json");
    await saveResult(makeTestResult({ seed: 5 }), path);
    await saveResult(result, path, { precision: "float64" });
    expect(await loadResult(path)).toEqual(result);
    expect(await readdir(join(folder, "replace"))).toEqual(["r.json"]);
  });

  it("fails with IO_ERROR and no partial file when the target cannot be written", async () => {
    const target = join(folder, "blocked", "is-a-folder.json");
    await mkdir(target, { recursive: true });
    const error = await rejection(saveResult(result, target), "IO_ERROR");
    expect(error.message).toContain(`Could not write ${target}: it is a folder`);
    expect(await readdir(join(folder, "blocked"))).toEqual(["is-a-folder.json"]);
  });

  it("validates before writing anything", async () => {
    const bad = makeTestResult({ sequences: 2 });
    bad.sequences[1]!.sourceAttributions[0]!.pop();
    const path = join(folder, "invalid", "bad.json");
    await rejection(saveResult(bad, path, { perSequence: true }), "INVALID_INPUT");
    await expect(readdir(join(folder, "invalid"))).rejects.toThrow(/ENOENT/);
  });

  it("reports a missing file as IO_ERROR naming the path, wrapping the cause", async () => {
    const path = join(folder, "nope.json");
    const error = await rejection(loadResult(path), "IO_ERROR");
    expect(error.message).toContain(`No result file at ${path}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
    await rejection(loadResults([join(folder, "plain.json"), path]), "IO_ERROR");
  });
});

describe("loading corrupted files", () => {
  // biome-ignore lint/suspicious/noExplicitAny: tests reach into the untyped saved form to corrupt it.
  const saved = (): any => JSON.parse(new TextDecoder().decode(serializeResult(result)));

  async function loadCorrupt(name: string, content: Uint8Array | string, code: ErrorCode): Promise<string> {
    const path = join(folder, name);
    await writeFile(path, content);
    const error = await rejection(loadResult(path), code);
    expect(error.message).toContain(path);
    expect(error.details["source"]).toBe(path);
    return error.message;
  }

  it("truncated gzip", async () => {
    const bytes = serializeResult(result, { gzip: true });
    expect(
      await loadCorrupt("truncated.json.gz", bytes.subarray(0, bytes.length >> 1), "INVALID_RESULT"),
    ).toMatch(/is not a tokenscope result, or is corrupt: the gzip data is truncated/);
  });

  it("invalid JSON", async () => {
    expect(await loadCorrupt("broken.json", '{"schemaVersion": 1, "info": ', "INVALID_RESULT")).toMatch(
      /is not a tokenscope result, or is corrupt: it is not valid JSON/,
    );
  });

  it("a matrix row with a missing cell", async () => {
    const value = saved();
    value.sequences[0].sourceAttributions[3].pop();
    expect(await loadCorrupt("short-row.json", JSON.stringify(value), "INVALID_RESULT")).toContain(
      "sequences[0].sourceAttributions[3]: expected 4 cells (one per source token), got 3",
    );
  });

  it("a token span past the text", async () => {
    const value = saved();
    value.sequences[1].source[2].span[1] = 999;
    expect(await loadCorrupt("span.json", JSON.stringify(value), "INVALID_RESULT")).toMatch(
      /sequences\[1\]\.source\[2\]\.span: end 999 is past the end of sourceText \(length \d+\)/,
    );
  });

  it("a wrong type deep inside", async () => {
    const value = saved();
    value.sequences[1].aggregation[0].parameters = [2];
    expect(await loadCorrupt("deep.json", JSON.stringify(value), "INVALID_RESULT")).toContain(
      "sequences[1].aggregation[0].parameters: expected record, received array",
    );
  });

  it("schemaVersion 4", async () => {
    const value = saved();
    value.schemaVersion = 4;
    expect(await loadCorrupt("future.json", JSON.stringify(value), "UNSUPPORTED_SCHEMA_VERSION")).toMatch(
      /has schemaVersion 4; this build of tokenscope \(.+\) reads schemaVersion 1, 2, and 3\. .*upgrade/,
    );
  });
});
