import { describe, expect, it } from "vitest";
import { parseParameters } from "../schema/parameters.ts";
import { makeSequence } from "../testing/fixtures.ts";
import { rescale } from "./rescale.ts";

const sequence = makeSequence({
  source: ["a", "b"],
  target: ["c", "d", "e"],
  sourceAttributions: [
    [1, -4],
    [2, null],
    [0, 0],
  ],
  targetAttributions: [
    [null, null, null],
    [-8, null, null],
    [0, 0, null],
  ],
});

describe("rescale", () => {
  it('per "sequence" (the default) divides everything by the largest |cell| of the sequence', () => {
    const parameters = parseParameters(rescale.parameters, {}, "rescale");
    expect(parameters).toEqual({ per: "sequence" });
    const rescaled = rescale.apply(sequence, parameters);
    expect(rescaled.sourceAttributions).toEqual([
      [0.125, -0.5],
      [0.25, null],
      [0, 0],
    ]);
    expect(rescaled.targetAttributions).toEqual([
      [null, null, null],
      [-1, null, null],
      [0, 0, null],
    ]);
  });

  it('per "step" scales each row so its largest |cell| is 1, zero rows stay zero', () => {
    const rescaled = rescale.apply(sequence, { per: "step" });
    expect(rescaled.sourceAttributions).toEqual([
      [0.25, -1],
      [0.25, null],
      [0, 0],
    ]);
    expect(rescaled.targetAttributions![1]).toEqual([-1, null, null]);
  });

  it("refuses an unknown `per`", () => {
    expect(() => parseParameters(rescale.parameters, { per: "token" }, "rescale")).toThrow(/per/);
  });
});
