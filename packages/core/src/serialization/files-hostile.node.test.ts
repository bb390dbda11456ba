import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { rejection, scratchFolders } from "../files/scratch.test-helpers.ts";
import { limits } from "../limits/index.ts";
import { loadResult, saveResult } from "../node.ts";
import type { AttributionResult } from "../result/types.ts";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { RESULT_STRUCTURE_DEPTH } from "./json-value.ts";
import { parseResult, serializeResult } from "./serialize.ts";
import { validateResult } from "./validate.ts";

/* Saved results as a careless or hostile user makes them: partial sets, pointers, deep nesting. */

const { scratch } = scratchFolders("tokenscope-files-hostile-");

function nested(levels: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

/** The test result with `extras` nesting `levels` levels (itself the first; `extras.x` the rest). */
function withDeepExtras(levels: number): AttributionResult {
  const result = makeTestResult();
  result.sequences[0]!.extras = { x: nested(levels - 1) };
  return result;
}

/** Saved text whose `extras` nests `levels` levels. */
const deepText = (levels: number) =>
  new TextDecoder()
    .decode(serializeResult(makeTestResult()))
    .replace('"extras":{', `"extras":{"x":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)},`);

describe("saveResult: one file per sequence is all or nothing", () => {
  it("checks every per-sequence path before writing the first (out-1.json a folder: out-0.json not written)", async () => {
    const folder = scratch();
    mkdirSync(join(folder, "sp-1.json"));
    const error = await rejection(
      saveResult(makeTestResult({ sequences: 3 }), join(folder, "sp.json"), { perSequence: true }),
      "IO_ERROR",
    );
    expect(error.message).toContain(`Could not write ${join(folder, "sp-1.json")}: it is a folder`);
    expect(error.message).toContain("Nothing was written.");
    expect(readdirSync(folder)).toEqual(["sp-1.json"]);
  });

  it("a later path refused (sp-2.json a link to /dev/null) leaves an existing sp-0.json as it was", async () => {
    const folder = scratch();
    writeFileSync(join(folder, "sp-0.json"), "old 0");
    symlinkSync("/dev/null", join(folder, "sp-2.json"));
    const error = await rejection(
      saveResult(makeTestResult({ sequences: 3 }), join(folder, "sp.json"), { perSequence: true }),
      "IO_ERROR",
    );
    expect(error.message).toContain("sp-2.json (a symbolic link to /dev/null): it is a character device");
    expect(readFileSync(join(folder, "sp-0.json"), "utf8")).toBe("old 0");
    expect(readdirSync(folder).sort()).toEqual(["sp-0.json", "sp-2.json"]);
  });
});

describe("loadResult: names a Git LFS pointer", () => {
  it("as IO_ERROR saying what to run, not as invalid JSON", async () => {
    const path = join(scratch(), "lfs.json");
    writeFileSync(
      path,
      "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1548\n",
    );
    const error = await rejection(loadResult(path), "IO_ERROR");
    expect(error.message).toContain(
      `${path} is a Git LFS pointer, not the result file: run git lfs pull (the real file has 1,548 bytes).`,
    );
    expect(error.message).not.toContain("JSON");
    expect(error.details).toMatchObject({ path, gitLfsPointer: true, size: 1548 });
  });
});

describe("deeply nested JSON in a saved result", () => {
  it("a free-form field nested exactly jsonDepth levels saves and loads back", async () => {
    const path = join(scratch(), "deep-ok.json");
    const result = withDeepExtras(limits.jsonDepth.max);
    await saveResult(result, path);
    expect((await loadResult(path)).sequences[0]!.extras).toEqual(result.sequences[0]!.extras);
  });

  it("one level more is refused on save, naming the limit (INVALID_INPUT, no stack overflow)", () => {
    for (const levels of [limits.jsonDepth.max + 1, 1_000_000]) {
      let error: unknown;
      try {
        serializeResult(withDeepExtras(levels));
      } catch (caught) {
        error = caught;
      }
      expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
      expect((error as Error).message).toContain("jsonDepth");
      expect((error as Error).message.length).toBeLessThan(1_000);
    }
  });

  it("5,000 levels in extras is refused by loadResult before parsing: INVALID_RESULT naming the limit", async () => {
    const path = join(scratch(), "deep-extras.json");
    writeFileSync(path, deepText(5_000));
    const error = await rejection(loadResult(path), "INVALID_RESULT");
    expect(error.message).toContain(
      `it nests arrays or objects more than ${(limits.jsonDepth.max + RESULT_STRUCTURE_DEPTH).toLocaleString("en-US")} levels deep`,
    );
    expect(error.message).toContain("jsonDepth");
  });

  it("validateResult walks a parsed value without recursion: 100,000 levels is INVALID_RESULT, briefly", () => {
    // What parseResult or a caller of validateResult may hand it (JSON.parse itself copes).
    const value = JSON.parse(deepText(100_000));
    let error: unknown;
    try {
      validateResult(value, { source: "deep.json" });
    } catch (caught) {
      error = caught;
    }
    expect(isTokenscopeError(error, "INVALID_RESULT"), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      "nested more than 1,000 levels deep (tokenscope's limit jsonDepth)",
    );
    expect((error as Error).message.length).toBeLessThan(1_000);
    expect(() => parseResult(deepText(limits.jsonDepth.max))).not.toThrow();
  });

  // The depth check refuses it before any parsing (its speed is a benchmark's business: a wall-clock
  // limit here failed on a loaded CI machine).
  it("a 20 KB gzip nesting ten million levels is refused by the depth check, even with the ratio guard lifted", async () => {
    const path = join(scratch(), "bomb-deep.json.gz");
    writeFileSync(path, gzipSync(deepText(10_000_000), { level: 9 }));
    // With maxBytes the caller vouches for the file: no ratio guard, so the depth check must refuse it.
    const error = await rejection(loadResult(path, { maxBytes: 64 * 1024 * 1024 }), "INVALID_RESULT");
    expect(error.message).toContain("jsonDepth");
  });
});
