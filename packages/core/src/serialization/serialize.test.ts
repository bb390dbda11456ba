import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { f16round } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import { type ErrorCode, isTokenscopeError, type TokenscopeError } from "../errors/index.ts";
import type { AttributionResult } from "../result/types.ts";
import { makeTestResult, mapScores } from "./fixtures.test-helpers.ts";
import { parseResult, serializeResult } from "./serialize.ts";

function thrown(action: () => unknown, code: ErrorCode): TokenscopeError {
  try {
    action();
  } catch (error) {
    if (isTokenscopeError(error, code)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

/** Every matrix cell, step score and raw value of a result, in order, for tolerance checks. */
function allScores(result: AttributionResult): number[] {
  return result.sequences
    .flatMap((sequence) => [
      ...sequence.sourceAttributions.flat(),
      ...(sequence.targetAttributions ?? []).flat(),
      ...Object.values(sequence.stepScores).flat(),
      ...(sequence.rawSourceAttributions?.data ?? []),
      ...(sequence.rawTargetAttributions?.data ?? []),
    ])
    .map((value) => (value === null ? Number.NaN : value));
}

/** The raw tensors of a result, and the result without them. */
function splitRaw(result: AttributionResult) {
  const raw = result.sequences.map((sequence) => [
    sequence.rawSourceAttributions,
    sequence.rawTargetAttributions,
  ]);
  const rest = {
    ...result,
    sequences: result.sequences.map(
      ({ rawSourceAttributions, rawTargetAttributions, ...sequence }) => sequence,
    ),
  };
  return { raw, rest };
}

/** `result`'s raw tensors as Float32Arrays of `round` of each value. */
function roundedRaw(result: AttributionResult, round: (value: number) => number) {
  return splitRaw(result).raw.map((pair) =>
    pair.map((tensor) => tensor && { dims: tensor.dims, data: Float32Array.from(tensor.data, round) }),
  );
}

const withRaw = makeTestResult({ sequences: 2, rawDims: 3, rawType: "float64" });

describe("serializeResult and parseResult", () => {
  for (const gzip of [false, true]) {
    describe(gzip ? "gzipped JSON" : "JSON", () => {
      it("round-trips float64 exactly", () => {
        const loaded = parseResult(serializeResult(withRaw, { gzip, precision: "float64" }));
        expect(loaded).toEqual(withRaw);
        expect(loaded.sequences[0]!.rawSourceAttributions!.data).toBeInstanceOf(Float64Array);
      });

      it("round-trips float32 exactly after Math.fround", () => {
        const loaded = parseResult(serializeResult(withRaw, { gzip }));
        expect(splitRaw(mapScores(loaded, Math.fround)).rest).toEqual(
          splitRaw(mapScores(withRaw, Math.fround)).rest,
        );
        expect(splitRaw(loaded).raw).toEqual(roundedRaw(withRaw, Math.fround));
        // Everything that is not a score comes back unchanged.
        const {
          sourceAttributions,
          targetAttributions,
          stepScores,
          rawSourceAttributions,
          rawTargetAttributions,
          ...rest
        } = loaded.sequences[0]!;
        const original = withRaw.sequences[0]!;
        expect(rest).toEqual({
          sourceText: original.sourceText,
          targetText: original.targetText,
          source: original.source,
          target: original.target,
          extras: original.extras,
          aggregation: original.aggregation,
        });
        expect(loaded.info).toEqual(withRaw.info);
      });

      it("round-trips float16 within its precision, NaN raw cells included", () => {
        const loaded = parseResult(serializeResult(withRaw, { gzip, precision: "float16" }));
        expect(splitRaw(mapScores(loaded, f16round)).rest).toEqual(
          splitRaw(mapScores(withRaw, f16round)).rest,
        );
        expect(splitRaw(loaded).raw).toEqual(roundedRaw(withRaw, f16round));
        const expected = allScores(withRaw);
        const actual = allScores(loaded);
        expect(actual).toHaveLength(expected.length);
        expect(expected.filter(Number.isNaN).length).toBeGreaterThan(20);
        actual.forEach((value, index) => {
          const want = expected[index]!;
          if (Number.isNaN(want)) expect(value).toBeNaN();
          // float16 keeps 11 significant bits (relative error ≤ 2^-11); subnormals below 6.1e-5 are absolute.
          else expect(Math.abs(value - want)).toBeLessThanOrEqual(1e-3 * Math.abs(want) + 3e-8);
        });
      });
    });
  }

  it("keeps merged tokens' members, special tokens' null spans, null cells and null step scores", () => {
    const loaded = parseResult(serializeResult(withRaw));
    const sequence = loaded.sequences[0]!;
    expect(sequence.source[0]).toEqual({ id: 1, text: "", span: null, special: true });
    expect(sequence.source.at(-1)!.members).toEqual([3, 4]);
    expect(sequence.source.at(-1)!.id).toBeNull();
    expect(sequence.sourceAttributions.every((row) => row[0] === null)).toBe(true);
    expect(sequence.targetAttributions![0]).toEqual([null, null, null, null]);
    expect(sequence.stepScores["entropy"]![0]).toBeNull();
  });

  it("writes each score with the fewest digits for its precision", () => {
    const result = makeTestResult();
    result.sequences[0]!.sourceAttributions[0]![1] = 0.1;
    result.sequences[0]!.sourceAttributions[0]![2] = 1 / 3;
    const text = (precision: "float64" | "float32" | "float16") =>
      new TextDecoder().decode(serializeResult(result, { precision }));
    expect(text("float64")).toContain("[null,0.1,0.3333333333333333,");
    expect(text("float32")).toContain("[null,0.1,0.33333334,");
    expect(text("float16")).toContain("[null,0.1,0.3333,");
  });

  it("writes NaN matrix cells and step scores as null (an empty cell)", () => {
    const result = makeTestResult();
    result.sequences[0]!.sourceAttributions[1]![2] = Number.NaN;
    result.sequences[0]!.stepScores["probability"]![2] = Number.NaN;
    const loaded = parseResult(serializeResult(result));
    expect(loaded.sequences[0]!.sourceAttributions[1]![2]).toBeNull();
    expect(loaded.sequences[0]!.stepScores["probability"]![2]).toBeNull();
  });

  it("refuses infinite scores and float16 overflow, naming the cell", () => {
    const result = makeTestResult();
    result.sequences[0]!.stepScores["entropy"]![3] = Number.POSITIVE_INFINITY;
    expect(thrown(() => serializeResult(result), "INVALID_INPUT").message).toContain(
      "sequences[0].stepScores.entropy[3] is Infinity, which JSON cannot hold",
    );
    result.sequences[0]!.stepScores["entropy"]![3] = 1;
    result.sequences[0]!.targetAttributions![3]![1] = 1e5;
    const error = thrown(() => serializeResult(result, { precision: "float16" }), "INVALID_INPUT");
    expect(error.message).toContain(
      "sequences[0].targetAttributions[3][1] is 100000, beyond float16's largest value 65504",
    );
    expect(error.hint).toMatch(/float32/);
    expect(() => serializeResult(result, { precision: "float32" })).not.toThrow();
  });

  it("refuses to write a result that could not be loaded back, naming the field", () => {
    const result = makeTestResult();
    result.sequences[0]!.sourceAttributions[2]!.push(0.5);
    expect(thrown(() => serializeResult(result), "INVALID_INPUT").message).toContain(
      "Cannot save the result: sequences[0].sourceAttributions[2]: expected 4 cells (one per source token), got 5",
    );
    const short = makeTestResult({ rawDims: 2 });
    short.sequences[0]!.rawSourceAttributions!.data = new Float32Array(5);
    expect(thrown(() => serializeResult(short), "INVALID_INPUT").message).toContain(
      "sequences[0].rawSourceAttributions.data: expected 32 float32 values (128 bytes), got 20 bytes",
    );
  });

  it("writes free-form fields as JSON: typed arrays become arrays, bigints are refused", () => {
    const result = makeTestResult();
    result.sequences[0]!.extras["deltas"] = Float32Array.of(0.5, 0.25);
    expect(parseResult(serializeResult(result)).sequences[0]!.extras["deltas"]).toEqual([0.5, 0.25]);
    result.sequences[0]!.extras["count"] = 3n;
    expect(thrown(() => serializeResult(result), "INVALID_INPUT").message).toMatch(
      /sequences\[0\]\.extras cannot be written as JSON \(.*BigInt/,
    );
  });

  it("indents on request, keeping each row of numbers on one line", () => {
    const result = makeTestResult();
    const text = new TextDecoder().decode(serializeResult(result, { indent: 2 }));
    expect(text).toContain('\n  "schemaVersion": 3,\n');
    const row = JSON.stringify(result.sequences[0]!.targetAttributions![0]);
    expect(text).toContain(`\n        ${row},\n`);
    expect(parseResult(text)).toEqual(parseResult(serializeResult(result)));
    expect(new TextDecoder().decode(serializeResult(result))).not.toContain("\n");
  });

  it("rejects bad options", () => {
    const result = makeTestResult();
    expect(thrown(() => serializeResult(result, { indent: -1 }), "INVALID_INPUT").message).toMatch(/indent/);
    // @ts-expect-error: checked at run time for JavaScript callers.
    expect(thrown(() => serializeResult(result, { precision: "bfloat16" }), "INVALID_INPUT").hint).toMatch(
      /"float16"/,
    );
  });

  it("is deterministic, gzip included", () => {
    expect(serializeResult(withRaw, { gzip: true })).toEqual(serializeResult(withRaw, { gzip: true }));
  });

  it("detects gzip by its magic bytes and accepts text with a byte-order mark", () => {
    const bytes = serializeResult(withRaw, { gzip: true });
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const text = new TextDecoder().decode(serializeResult(withRaw));
    expect(parseResult(`\uFEFF${text}`)).toEqual(parseResult(bytes));
    expect(parseResult(new TextEncoder().encode(`\uFEFF${text}`))).toEqual(parseResult(bytes));
  });

  it("says a truncated gzip file, invalid JSON or binary junk is not a result (or corrupt)", () => {
    const gz = serializeResult(withRaw, { gzip: true });
    const truncated = thrown(() => parseResult(gz.subarray(0, gz.length - 100)), "INVALID_RESULT");
    expect(truncated.message).toMatch(
      /is not a tokenscope result, or is corrupt: the gzip data is truncated/,
    );
    const json = serializeResult(withRaw);
    expect(thrown(() => parseResult(json.subarray(0, 500)), "INVALID_RESULT").message).toMatch(
      /not valid JSON/,
    );
    expect(thrown(() => parseResult(Uint8Array.of(0xff, 0xfe, 0x00)), "INVALID_RESULT").message).toMatch(
      /not UTF-8/,
    );
    expect(thrown(() => parseResult(""), "INVALID_RESULT").message).toMatch(/not valid JSON/);
  });

  it("makes gzip smaller than JSON for a 30×40 result, and float16 smaller than float64", () => {
    const result = makeTestResult({ sourceWords: 40, targetWords: 29, rawDims: 8, rawType: "float64" });
    expect(result.sequences[0]!.sourceAttributions).toHaveLength(30);
    expect(result.sequences[0]!.source).toHaveLength(40);
    const json = serializeResult(result).length;
    const gzipped = serializeResult(result, { gzip: true }).length;
    expect(gzipped).toBeLessThan(json * 0.85);
    const float64 = serializeResult(result, { precision: "float64" }).length;
    const float16 = serializeResult(result, { precision: "float16" }).length;
    // Raw tensors dominate: 2 bytes instead of 8 per value.
    expect(float16).toBeLessThan(float64 * 0.4);
    const scoresOnly = makeTestResult({ sourceWords: 40, targetWords: 29 });
    expect(serializeResult(scoresOnly, { precision: "float16" }).length).toBeLessThan(
      serializeResult(scoresOnly, { precision: "float64" }).length * 0.75,
    );
  });
});

describe("the browser-safe part of serialization", () => {
  it("imports nothing from node: outside the Node-only file and tests", () => {
    const folder = import.meta.dirname;
    const files = readdirSync(folder).filter(
      (name) => name.endsWith(".ts") && !name.includes(".test") && !name.endsWith(".node.ts"),
    );
    expect(files).toContain("serialize.ts");
    for (const name of files) {
      expect(readFileSync(join(folder, name), "utf8"), name).not.toMatch(/from "node:|require\(/);
    }
  });
});
