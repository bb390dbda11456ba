import type { AttributionMethod } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { inputXGradient } from "./input-x-gradient.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { saliency } from "./saliency.ts";
import { smoothGrad } from "./smooth-grad.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

function expectNaNOrClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(expected[i]!)) expect(actual[i]).toBeNaN();
    else expect(actual[i]).toBeCloseTo(expected[i]!, digits);
  }
}

describe("smooth_grad", () => {
  const bases: {
    base_method: string;
    // biome-ignore lint/suspicious/noExplicitAny: definitions with different parameter types
    method: AttributionMethod<any>;
    parameters: Record<string, unknown>;
  }[] = [
    { base_method: "saliency", method: saliency, parameters: {} },
    { base_method: "input_x_gradient", method: inputXGradient, parameters: {} },
    { base_method: "integrated_gradients", method: integratedGradients, parameters: { n_steps: 16 } },
  ];
  for (const { base_method, method, parameters } of bases) {
    it(`with stdevs 0 equals ${base_method}, its square (smoothgrad_sq) and zero variance (vargrad)`, async () => {
      const model = createToyModel({ seed: 7 });
      const sequence = await sequenceOf(model, "the cat", " sat");
      const base = await runMethod(method, model, sequence, { parameters, attributeTarget: true });
      const run = (nt_type: string) =>
        runMethod(smoothGrad, model, sequence, {
          parameters: { base_method, nt_type, stdevs: 0, nt_samples: 3, ...parameters },
          attributeTarget: true,
        });
      const smooth = await run("smoothgrad");
      expectNaNOrClose(smooth.source.data, base.source.data, 12);
      expectNaNOrClose(smooth.target!.data, base.target!.data, 12);
      expectNaNOrClose(smooth.stepScores!["probability"]!, base.stepScores!["probability"]!, 12);
      const squared = await run("smoothgrad_sq");
      expectNaNOrClose(
        squared.source.data,
        base.source.data.map((value) => value * value),
        12,
      );
      const variance = await run("vargrad");
      for (const value of variance.source.data) expect(Math.abs(value)).toBeLessThan(1e-15);
    });
  }

  it("with noise: vargrad = smoothgrad_sq − smoothgrad², nonnegative, and the noise changes the result", async () => {
    const model = createToyModel({ seed: 21 });
    const sequence = await sequenceOf(model, "a dog", " ran");
    const run = async (nt_type: string) =>
      (
        await runMethod(smoothGrad, model, sequence, {
          parameters: { base_method: "input_x_gradient", nt_type, stdevs: 0.5, nt_samples: 8, seed: 3 },
        })
      ).source.data;
    const mean = await run("smoothgrad");
    const square = await run("smoothgrad_sq");
    const variance = await run("vargrad");
    for (let i = 0; i < mean.length; i++) {
      expect(variance[i]!).toBeCloseTo(square[i]! - mean[i]! ** 2, 12);
      expect(variance[i]!).toBeGreaterThanOrEqual(-1e-15);
    }
    const clean = (await runMethod(inputXGradient, model, sequence)).source.data;
    expect(Math.max(...mean.map((value, i) => Math.abs(value - clean[i]!)))).toBeGreaterThan(1e-3);
  });
});
