import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { saliency } from "./saliency.ts";
import {
  finiteDifferenceGradient,
  rawRow,
  registerAll,
  runMethod,
  sequenceOf,
} from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("saliency", () => {
  for (const seed of [7, 21]) {
    it(`equals |finite-difference gradient| of the target probability (seed ${seed})`, async () => {
      const model = createToyModel({ seed });
      const sequence = await sequenceOf(model, "the cat", " sat");
      const output = await runMethod(saliency, model, sequence, { attributeTarget: true });
      const hidden = model.info.hiddenSize;
      const sources = sequence.source.length;
      const steps = sequence.target.length;
      expect(output.source.dims).toEqual([steps, sources, hidden]);
      for (let t = 0; t < steps; t++) {
        const reference = await finiteDifferenceGradient(model, sequence, t);
        const row = rawRow(output.source, t);
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < sources * hidden; i++) {
          worst = Math.max(worst, Math.abs(row[i]! - Math.abs(reference[i]!)));
          scale = Math.max(scale, Math.abs(reference[i]!));
        }
        expect(scale).toBeGreaterThan(1e-6);
        expect(worst / scale).toBeLessThanOrEqual(1e-4);
        // Target-prefix cells u < t come from the same gradient; u ≥ t stay empty (causality).
        const prefix = rawRow(output.target!, t);
        for (let u = 0; u < steps; u++) {
          for (let d = 0; d < hidden; d++) {
            const cell = prefix[u * hidden + d]!;
            if (u < t)
              expect(Math.abs(cell - Math.abs(reference[(sources + u) * hidden + d]!))).toBeLessThan(
                1e-4 * scale,
              );
            else expect(cell).toBeNaN();
          }
        }
        // The model's gradient beyond the step's position is zero: the reference confirms causality.
        for (let i = (sources + t) * hidden; i < reference.length; i++)
          expect(Math.abs(reference[i]!)).toBeLessThan(1e-9);
      }
      expect(output.stepScores?.["probability"]?.every((value) => value > 0 && value < 1)).toBe(true);
    });
  }

  it("keeps the sign with abs: false", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "a dog", "!");
    const signed = await runMethod(saliency, model, sequence, { parameters: { abs: false } });
    const reference = await finiteDifferenceGradient(model, sequence, 0);
    const row = rawRow(signed.source, 0);
    expect(row.some((value) => value < 0)).toBe(true);
    for (const [i, value] of row.entries()) expect(value).toBeCloseTo(reference[i]!, 7);
  });

  it("fills only the attributed steps", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = { ...(await sequenceOf(model, "the cat", " sat")), steps: [1, 3] };
    const output = await runMethod(saliency, model, sequence);
    expect(rawRow(output.source, 0).every(Number.isNaN)).toBe(true);
    expect(rawRow(output.source, 1).every(Number.isFinite)).toBe(true);
    expect(rawRow(output.source, 2).every(Number.isNaN)).toBe(true);
    expect(output.stepScores!["probability"]!.map(Number.isFinite)).toEqual([false, true, false, true]);
  });
});
