import type { MethodSequenceOutput } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { gradientShap } from "./gradient-shap.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import {
  inputEmbeddings,
  objectiveAt,
  rawRow,
  registerAll,
  runMethod,
  sequenceOf,
} from "./testing.test-helpers.ts";

beforeAll(registerAll);

function rowSum(output: MethodSequenceOutput, t: number): number {
  let total = 0;
  for (const value of rawRow(output.source, t)) total += value;
  if (output.target) for (const value of rawRow(output.target, t)) if (!Number.isNaN(value)) total += value;
  return total;
}

describe("gradient_shap", () => {
  it("with no noise and one baseline, its expectation is integrated gradients (Monte Carlo, 2048 samples)", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "the cat", " sat");
    const shap = await runMethod(gradientShap, model, sequence, {
      parameters: { n_samples: 2048, baselines: "zero", seed: 3 },
      attributeTarget: true,
    });
    const ig = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 64, baseline: "zero" },
      attributeTarget: true,
    });
    for (const t of sequence.steps) {
      // Per step: attribution vectors agree within 5% (relative L2), sums within 4 standard errors of f(x) − f(0).
      const a = rawRow(shap.source, t);
      const b = rawRow(ig.source, t);
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < a.length; i++) {
        diff += (a[i]! - b[i]!) ** 2;
        norm += b[i]! ** 2;
      }
      expect(Math.sqrt(diff / norm)).toBeLessThan(0.05);
      const input = await inputEmbeddings(model, sequence);
      const change =
        (await objectiveAt(model, sequence, t, input)) -
        (await objectiveAt(model, sequence, t, new Float64Array(input.length)));
      // The sum is a Monte Carlo mean of g(α) = d/dα f(x′ + α x) (α ~ U(0, 1)), whose mean is the change:
      // bound its error by 4 standard errors, the spread of g measured by finite differences in α.
      const along = (alpha: number) =>
        objectiveAt(
          model,
          sequence,
          t,
          Float64Array.from(input, (x) => alpha * x),
        );
      const g: number[] = [];
      for (let k = 0; k < 200; k++) {
        const alpha = (k + 0.5) / 200;
        g.push(((await along(alpha + 1e-5)) - (await along(alpha - 1e-5))) / 2e-5);
      }
      const mean = g.reduce((a, b) => a + b, 0) / g.length;
      const spread = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
      expect(Math.abs(mean - change)).toBeLessThan(0.01 * Math.abs(change));
      expect(Math.abs(rowSum(shap, t) - change)).toBeLessThan((4 * spread) / Math.sqrt(2048));
      expect(shap.stepScores!["deltas"]![t]).toBeCloseTo(rowSum(shap, t) - change, 10);
    }
  });

  it("with one sample at α drawn, equals (x − x′) ⊙ ∇f at that point (finite differences)", async () => {
    const model = createToyModel({ seed: 21 });
    const sequence = await sequenceOf(model, "ab", "c");
    const shap = await runMethod(gradientShap, model, sequence, {
      parameters: { n_samples: 1, baselines: "unk", seed: 11 },
    });
    const alpha = (shap.extras!["alphas"] as number[])[0]!;
    const input = await inputEmbeddings(model, sequence);
    const unk = model.info.specialTokens.unk!;
    const seq = input.length / model.info.hiddenSize;
    const baseline = Float64Array.from((await model.embed!([Array.from({ length: seq }, () => unk)])).data);
    const point = Float64Array.from(input, (x, i) => baseline[i]! + alpha * (x - baseline[i]!));
    const row = rawRow(shap.source, 0);
    const epsilon = 1e-6;
    for (let i = 0; i < row.length; i++) {
      const original = point[i]!;
      point[i] = original + epsilon;
      const up = await objectiveAt(model, sequence, 0, point);
      point[i] = original - epsilon;
      const down = await objectiveAt(model, sequence, 0, point);
      point[i] = original;
      expect(row[i]!).toBeCloseTo(((up - down) / (2 * epsilon)) * (input[i]! - baseline[i]!), 8);
    }
  });

  it("samples from a baseline list and noise, deterministically for a seed", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "a dog", " ran");
    const parameters = { n_samples: 16, baselines: ["unk", "zero"], stdevs: 0.1, seed: 5 };
    const first = await runMethod(gradientShap, model, sequence, { parameters });
    const again = await runMethod(gradientShap, model, sequence, { parameters });
    expect(Array.from(again.source.data)).toEqual(Array.from(first.source.data));
    expect(new Set(first.extras!["baselineIndices"] as number[])).toEqual(new Set([0, 1]));
    const other = await runMethod(gradientShap, model, sequence, { parameters: { ...parameters, seed: 6 } });
    expect(Array.from(other.source.data)).not.toEqual(Array.from(first.source.data));
  });
});
