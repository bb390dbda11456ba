import { describe, expect, it } from "vitest";
import { type ErrorCode, isTokenscopeError, type TokenscopeError } from "../errors/index.ts";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { serializeResult } from "./serialize.ts";
import { validateResult } from "./validate.ts";

/** A saved result as JSON.parse gives it, to corrupt; source has 4 tokens, target 4, raw dims 2. */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into the untyped saved form to corrupt it.
function savedForm(): any {
  const bytes = serializeResult(makeTestResult({ sequences: 2, rawDims: 2 }), { precision: "float64" });
  return JSON.parse(new TextDecoder().decode(bytes));
}

function rejection(value: unknown, code: ErrorCode): TokenscopeError {
  try {
    validateResult(value);
  } catch (error) {
    if (isTokenscopeError(error, code)) return error;
    throw error;
  }
  throw new Error("validateResult accepted the value");
}

describe("validateResult", () => {
  it("accepts a saved result and decodes its raw tensors", () => {
    const result = validateResult(savedForm());
    expect(result.sequences).toHaveLength(2);
    const raw = result.sequences[0]!.rawSourceAttributions!;
    expect(raw.data).toBeInstanceOf(Float32Array);
    expect(raw.dims).toEqual([4, 4, 2]);
    expect(raw.data.length).toBe(32);
  });

  it("names a row with a missing cell", () => {
    const saved = savedForm();
    saved.sequences[1].sourceAttributions[3].pop();
    const error = rejection(saved, "INVALID_RESULT");
    expect(error.message).toContain(
      "sequences[1].sourceAttributions[3]: expected 4 cells (one per source token), got 3",
    );
    expect(error.details.issues).toEqual([
      "sequences[1].sourceAttributions[3]: expected 4 cells (one per source token), got 3",
    ]);
    expect(error.hint).toMatch(/re-run/);
  });

  it("names a missing row, a short target-prefix row and short step scores", () => {
    const saved = savedForm();
    saved.sequences[0].sourceAttributions.pop();
    saved.sequences[0].targetAttributions[1].push(0.5);
    saved.sequences[0].stepScores.entropy.pop();
    const error = rejection(saved, "INVALID_RESULT");
    expect(error.details.issues).toEqual([
      "sequences[0].sourceAttributions: expected 4 rows (one per target token), got 3",
      "sequences[0].targetAttributions[1]: expected 4 cells (one per target token), got 5",
      "sequences[0].stepScores.entropy: expected 4 scores (one per target token), got 3",
    ]);
    expect(error.message).toContain("(and 2 more problems)");
    expect(error.details.issueCount).toBe(3);
  });

  it("names a token span past the end of its text", () => {
    const saved = savedForm();
    const length = saved.sequences[0].targetText.length;
    saved.sequences[0].target[2].span = [1, length + 3];
    const error = rejection(saved, "INVALID_RESULT");
    expect(error.message).toContain(
      `sequences[0].target[2].span: end ${length + 3} is past the end of targetText (length ${length})`,
    );
  });

  it("names a span whose start is after its end", () => {
    const saved = savedForm();
    saved.sequences[0].source[1].span = [3, 2];
    expect(rejection(saved, "INVALID_RESULT").message).toContain(
      "sequences[0].source[1].span: start 3 is after end 2",
    );
  });

  it("names a wrong type deep inside", () => {
    const saved = savedForm();
    saved.sequences[1].targetAttributions[2][1] = "0.5";
    saved.sequences[0].source[3].members = [1, -1];
    saved.info.method.parameters = "n_steps=8";
    const error = rejection(saved, "INVALID_RESULT");
    expect(error.details.issues).toEqual([
      "info.method.parameters: expected record, received string",
      "sequences[0].source[3].members[1]: Too small: expected number to be >=0",
      "sequences[1].targetAttributions[2][1]: expected number, received string",
    ]);
  });

  it("rejects unknown keys in sequences and tokens, where a typo would lose data", () => {
    const saved = savedForm();
    saved.sequences[0].target[0].speical = true;
    saved.sequences[1].stepscores = {};
    const issues = rejection(saved, "INVALID_RESULT").details.issues as string[];
    expect(issues).toContain('sequences[0].target[0]: Unrecognized key: "speical"');
    expect(issues).toContain('sequences[1]: Unrecognized key: "stepscores"');
  });

  it("names missing fields", () => {
    const saved = savedForm();
    delete saved.sequences[0].target[1].special;
    delete saved.info.startedAt;
    const issues = rejection(saved, "INVALID_RESULT").details.issues as string[];
    expect(issues).toEqual([
      "info.startedAt: missing (expected string)",
      "sequences[0].target[1].special: missing (expected boolean)",
    ]);
  });

  it("allows unknown top-level and info fields, and free-form JSON in extras and info.extra", () => {
    const saved = savedForm();
    saved.comment = "written by hand";
    saved.info.host = "ci";
    saved.info.extra = { anything: [1, { deep: [null, "x"] }] };
    saved.sequences[0].extras = { matrix: [[1, 2], [3]], flag: false };
    const result = validateResult(saved);
    expect(result.info.extra).toEqual({ anything: [1, { deep: [null, "x"] }] });
    expect(result.sequences[0]!.extras).toEqual({ matrix: [[1, 2], [3]], flag: false });
    expect("comment" in result).toBe(false);
  });

  it("checks run info: ISO date, non-negative duration, model id", () => {
    const saved = savedForm();
    saved.info.startedAt = "yesterday";
    saved.info.durationMs = -1;
    saved.info.model.id = "";
    const issues = rejection(saved, "INVALID_RESULT").details.issues as string[];
    expect(issues).toEqual([
      "info.model.id: Too small: expected string to have >=1 characters",
      "info.startedAt: Invalid ISO datetime",
      "info.durationMs: Too small: expected number to be >=0",
    ]);
  });

  it("cross-checks raw tensor dims and byte length against the token counts", () => {
    const saved = savedForm();
    saved.sequences[0].rawSourceAttributions.dims = [4, 3, 2];
    saved.sequences[1].rawTargetAttributions.dtype = "float64";
    const issues = rejection(saved, "INVALID_RESULT").details.issues as string[];
    expect(issues).toEqual([
      "sequences[0].rawSourceAttributions.dims: expected [4, 4, d] (target tokens × source tokens × dimensions), got [4, 3, 2]",
      "sequences[1].rawTargetAttributions.data: expected 32 float64 values (256 bytes), got 128 bytes",
    ]);
  });

  it("rejects raw data that is not base64", () => {
    const saved = savedForm();
    saved.sequences[0].rawSourceAttributions.data = `!${saved.sequences[0].rawSourceAttributions.data.slice(1)}`;
    expect(rejection(saved, "INVALID_RESULT").message).toContain("sequences[0].rawSourceAttributions.data");
  });

  it("lists at most 10 issues but counts them all", () => {
    const saved = savedForm();
    for (const row of saved.sequences[0].sourceAttributions) row[1] = "x";
    for (const row of saved.sequences[1].sourceAttributions) row[1] = "x";
    for (const token of saved.sequences[1].target) token.id = -1;
    const error = rejection(saved, "INVALID_RESULT");
    expect(error.details.issues).toHaveLength(10);
    expect(error.details.issueCount).toBe(12);
    expect(error.message).toContain("(and 11 more problems)");
  });

  it("reports another schema version with both versions and what to do", () => {
    const saved = savedForm();
    saved.schemaVersion = 4;
    const error = rejection(saved, "UNSUPPORTED_SCHEMA_VERSION");
    expect(error.message).toMatch(
      /has schemaVersion 4; this build of tokenscope \(.+\) reads schemaVersion 1, 2, and 3/,
    );
    expect(error.hint).toMatch(/upgrade @tokenscope\/core/);
    expect(error.details).toMatchObject({ fileVersion: 4, supportedVersion: 3 });
    saved.schemaVersion = 0;
    expect(rejection(saved, "UNSUPPORTED_SCHEMA_VERSION").hint).toMatch(/Re-run the attribution/);
  });

  it("says plainly when the value is not a result at all", () => {
    expect(rejection([1, 2], "INVALID_RESULT").message).toMatch(
      /not a tokenscope result: expected a JSON object, got an array/,
    );
    expect(rejection(null, "INVALID_RESULT").message).toMatch(/got null/);
    expect(rejection({ info: {} }, "INVALID_RESULT").message).toMatch(/schemaVersion is missing/);
  });

  it("names the source when given", () => {
    const saved = savedForm();
    saved.sequences = "none";
    expect(() => validateResult(saved, { source: "runs/a.json" })).toThrow(
      /^runs\/a\.json is not a valid tokenscope result: sequences: expected array, received string\./,
    );
  });
});
