import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isTokenscopeError } from "../errors/index.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { registerAggregator } from "../registry/registries.ts";
import { makeResult, makeSequence } from "../testing/fixtures.ts";
import { aggregate } from "./aggregate.ts";

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

// Two dims per cell; " wor" + "ld" and " big" + "gest" are words to merge.
function rawFor(rows: number, columns: number, causal: boolean): number[][][] {
  return Array.from({ length: rows }, (_, t) =>
    Array.from({ length: columns }, (__, s) =>
      causal && s >= t ? [Number.NaN, Number.NaN] : [((t + 1) * (s + 2)) % 5, -(((t + 2) * (s + 1)) % 3)],
    ),
  );
}

const sequence = makeSequence({
  source: [{ text: "<s>", span: null, special: true }, "Hello", " wor", "ld"],
  target: [" a", " big", "gest", "!"],
  rawSource: rawFor(4, 4, false),
  rawTarget: rawFor(4, 4, true),
});
const result = makeResult([sequence, sequence]);

beforeAll(() => {
  registerCoreBuiltins();
});

describe("aggregate", () => {
  it("composes l2 → words → normalize: every attributed word row sums to 1 in |.|", () => {
    const aggregated = aggregate(result, ["l2", "words", "normalize"]);
    const merged = aggregated.sequences[0]!;
    expect(merged.source.map((token) => token.text)).toEqual(["<s>", "Hello", " world"]);
    expect(merged.target.map((token) => token.text)).toEqual([" a", " biggest!"]);
    for (let t = 0; t < merged.target.length; t++) {
      const cells = [...merged.sourceAttributions[t]!, ...merged.targetAttributions![t]!];
      expect(cells.reduce<number>((total, value) => total + Math.abs(value ?? 0), 0)).toBeCloseTo(1, 12);
    }
    expect(merged.targetAttributions![0]).toEqual([null, null]);
  });

  it("word scores take the absmax of the pieces' l2 scores by default (Inseq), or their sum", () => {
    const reduced = aggregate(result, ["l2"]).sequences[0]!;
    const merged = aggregate(result, ["l2", "words"]).sequences[0]!;
    const summed = aggregate(result, ["l2", { id: "words", parameters: { reduce: "sum" } }]).sequences[0]!;
    const row = reduced.sourceAttributions;
    // Word " biggest!" = targets 1..3; word " world" = sources 2..3.
    const pieces = [1, 2, 3].flatMap((t) => [2, 3].map((s) => row[t]![s]!));
    const absmax = pieces.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best));
    expect(merged.sourceAttributions[1]![2]).toBeCloseTo(absmax, 12);
    expect(summed.sourceAttributions[1]![2]).toBeCloseTo(
      pieces.reduce((a, b) => a + b, 0),
      12,
    );
  });

  it("records each step with its parsed parameters, defaults included", () => {
    const aggregated = aggregate(result, [
      "l2",
      { id: "sparsify", parameters: { topK: 1 } },
      { id: "words" },
    ]);
    expect(aggregated.sequences[1]!.aggregation).toEqual([
      { id: "l2", parameters: {} },
      { id: "sparsify", parameters: { topK: 1 } },
      {
        id: "words",
        parameters: { strategy: "spans", markers: ["▁", "Ġ", "Ċ"], reduce: "absmax", stepScores: "auto" },
      },
    ]);
  });

  it("does not modify the input result", () => {
    const before = structuredClone(result);
    const aggregated = aggregate(result, [
      "l2",
      "words",
      "normalize",
      { id: "sparsify", parameters: { threshold: 0.1 } },
    ]);
    expect(result).toEqual(before);
    expect(aggregated.info).toEqual(result.info);
    expect(aggregated.info).not.toBe(result.info);
  });

  it("checks every step before doing any work", () => {
    expect(
      isTokenscopeError(
        errorOf(() => aggregate(result, ["l2", "no-such-aggregator"])),
        "UNKNOWN_ID",
      ),
    ).toBe(true);
    const badParameters = errorOf(() =>
      aggregate(result, ["l2", { id: "words", parameters: { strategy: "x" } }]),
    );
    expect(isTokenscopeError(badParameters, "INVALID_PARAMETERS")).toBe(true);
  });

  it("refuses an aggregator that returns a sequence of the wrong shape", () => {
    registerAggregator(
      {
        id: "test-broken",
        kind: "normalize",
        summary: "Drops a row.",
        description: "Drops the first row of the source matrix, which it must not.",
        parameters: z.object({}),
        apply: (input) => ({ ...input, sourceAttributions: input.sourceAttributions.slice(1) }),
      },
      { overwrite: true },
    );
    const error = errorOf(() => aggregate(result, ["l2", "test-broken"]));
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect((error as Error).message).toMatch(/test-broken" \(its output\): sourceAttributions has 3 rows/);
  });
});
