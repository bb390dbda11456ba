import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { parseParameters } from "../schema/parameters.ts";
import { makeSequence } from "../testing/fixtures.ts";
import { sparsify } from "./sparsify.ts";

// Row 1 competes source [0.1, -0.5, null, 0.3] with target prefix [0.4].
const sequence = makeSequence({
  source: ["a", "b", "c", "d"],
  target: ["e", "f"],
  sourceAttributions: [
    [0.2, -0.2, 0.2, null],
    [0.1, -0.5, null, 0.3],
  ],
  targetAttributions: [
    [null, null],
    [0.4, null],
  ],
});

describe("sparsify", () => {
  it("topK keeps the k largest |cells| of each row across source and target prefix, others become 0", () => {
    const sparse = sparsify.apply(sequence, { topK: 2 });
    // Row 0 ties at 0.2: column order decides (source first).
    expect(sparse.sourceAttributions).toEqual([
      [0.2, -0.2, 0, null],
      [0, -0.5, null, 0],
    ]);
    expect(sparse.targetAttributions).toEqual([
      [null, null],
      [0.4, null],
    ]);
  });

  it("threshold keeps cells with |score| >= threshold", () => {
    const sparse = sparsify.apply(sequence, { threshold: 0.3 });
    expect(sparse.sourceAttributions).toEqual([
      [0, 0, 0, null],
      [0, -0.5, null, 0.3],
    ]);
    expect(sparse.targetAttributions![1]).toEqual([0.4, null]);
  });

  it("with both, a cell must be in the top k and above the threshold", () => {
    const sparse = sparsify.apply(sequence, { topK: 2, threshold: 0.45 });
    expect(sparse.sourceAttributions[1]).toEqual([0, -0.5, null, 0]);
    expect(sparse.targetAttributions![1]).toEqual([0, null]);
  });

  it("a topK larger than the row keeps everything", () => {
    expect(sparsify.apply(sequence, { topK: 10 }).sourceAttributions).toEqual(sequence.sourceAttributions);
  });

  it("requires topK or threshold (INVALID_PARAMETERS) and refuses a non-positive topK", () => {
    for (const bad of [{}, { topK: 0 }, { threshold: -1 }, { topK: 1.5 }]) {
      try {
        parseParameters(sparsify.parameters, bad, "sparsify");
        expect.unreachable();
      } catch (error) {
        expect(isTokenscopeError(error, "INVALID_PARAMETERS")).toBe(true);
      }
    }
  });
});
