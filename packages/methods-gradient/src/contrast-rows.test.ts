import {
  type GradientRequest,
  isTokenscopeError,
  type LanguageModel,
  type MethodSequence,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateRowBytes } from "./batch-budget.ts";
import { contrastIds, contrastSequence, fullRow, idsOf } from "./contrastive.test-helpers.ts";
import { gradientShap } from "./gradient-shap.ts";
import { inputXGradient } from "./input-x-gradient.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { saliency } from "./saliency.ts";
import { sequentialIntegratedGradients } from "./sequential-integrated-gradients.ts";
import { smoothGrad } from "./smooth-grad.ts";
import { registerAll, runMethod } from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("contrastive gradients on the toy model (exact float64)", () => {
  const toy = createToyModel({ seed: 7 });
  const options = { prompt: "the cat", target: " sat", contrast: " ran on", align: "right" } as const;

  it("saliency matches finite differences for a shared and a different contrast prompt", async () => {
    for (const contrastPrompt of [undefined, "a dog"]) {
      const sequence = await contrastSequence(toy, {
        ...options,
        ...(contrastPrompt ? { contrastPrompt } : {}),
      });
      const output = await runMethod(saliency, toy, sequence, {
        parameters: { abs: false },
        attributedFunction: { id: "contrast_logits_diff" },
        attributeTarget: true,
      });
      const hidden = toy.info.hiddenSize;
      const shares = contrastPrompt === undefined;
      for (const t of sequence.steps) {
        const row = fullRow(output, t, hidden);
        const f = async (original: Float64Array, contrast: Float64Array) => {
          const side = async (data: Float64Array) =>
            (
              await toy.forward!({
                inputs: { embeddings: { data, dims: [1, data.length / hidden, hidden] } },
                positions: [[data.length / hidden - 1]],
              })
            ).logits.data;
          const logits = await side(original.subarray(0, (sequence.source.length + t) * hidden));
          const contrastLogits = await side(contrast);
          const c = sequence.contrast!.target[sequence.contrast!.alignment[t]!]!.id!;
          return logits[sequence.target[t]!.id!]! - contrastLogits[c]!;
        };
        const original = Float64Array.from(
          (await toy.embed!([[...idsOf(sequence.source), ...idsOf(sequence.target)]])).data,
        );
        const contrast = Float64Array.from((await toy.embed!([contrastIds(sequence, t)])).data);
        const epsilon = 1e-6;
        for (let i = 0; i < row.length; i++) {
          const moved = (sign: number) => {
            const o = Float64Array.from(original);
            const c = Float64Array.from(contrast);
            o[i]! += sign * epsilon;
            if (shares && i < sequence.source.length * hidden) c[i]! += sign * epsilon;
            return f(o, c);
          };
          const reference = ((await moved(1)) - (await moved(-1))) / (2 * epsilon);
          expect(Math.abs(row[i]! - reference)).toBeLessThanOrEqual(1e-7);
        }
      }
    }
  });

  it("input_x_gradient, smooth_grad and gradient_shap read the same contrastive gradient", async () => {
    const sequence = await contrastSequence(toy, options);
    const common = { attributedFunction: { id: "contrast_prob_diff" }, attributeTarget: true };
    const gradient = await runMethod(saliency, toy, sequence, { ...common, parameters: { abs: false } });
    const inputs = Float64Array.from(
      (await toy.embed!([[...idsOf(sequence.source), ...idsOf(sequence.target)]])).data,
    );
    const product = await runMethod(inputXGradient, toy, sequence, common);
    // No noise: every sample is the input itself.
    const smooth = await runMethod(smoothGrad, toy, sequence, {
      ...common,
      parameters: { stdevs: 0, abs: false, nt_samples: 2 },
    });
    const hidden = toy.info.hiddenSize;
    for (const t of sequence.steps) {
      const g = fullRow(gradient, t, hidden);
      fullRow(product, t, hidden).forEach((value, i) => {
        expect(value).toBeCloseTo(g[i]! * inputs[i]!, 12);
      });
      fullRow(smooth, t, hidden).forEach((value, i) => {
        expect(value).toBeCloseTo(g[i]!, 12);
      });
    }
    // GradientSHAP's step score is f at the input, through both sides.
    const shap = await runMethod(gradientShap, toy, sequence, {
      ...common,
      parameters: { baselines: "zero" },
    });
    expect(shap.stepScores!["contrast_prob_diff"]).toEqual(gradient.stepScores!["contrast_prob_diff"]);
  });

  it("sequential integrated gradients stays complete per position with a contrast row", async () => {
    const sequence = await contrastSequence(toy, options);
    const output = await runMethod(sequentialIntegratedGradients, toy, sequence, {
      parameters: { n_steps: 24, baseline: "zero" },
      attributedFunction: { id: "contrast_prob_diff" },
      attributeTarget: true,
    });
    const positionDeltas = output.extras!["positionDeltas"] as (number | null)[][];
    for (const t of sequence.steps)
      for (const delta of positionDeltas[t]!)
        if (delta !== null) expect(Math.abs(delta)).toBeLessThanOrEqual(1e-9);
  });

  it("sizes calls for a row and its contrast row, with the same result as one call", async () => {
    const sequence = await contrastSequence(toy, options);
    const calls: { rows: number; length: number }[] = [];
    const counted: LanguageModel = {
      ...toy,
      gradients: (request: GradientRequest) => {
        const inputs = request.inputs;
        const [rows, length] =
          "ids" in inputs ? [inputs.ids.length, inputs.ids[0]!.length] : inputs.embeddings.dims;
        calls.push({ rows: rows!, length: length! });
        return toy.gradients!(request);
      },
    };
    const run = (memoryBudgetBytes?: number) =>
      runMethod(integratedGradients, counted, sequence, {
        parameters: { n_steps: 40 },
        attributedFunction: { id: "contrast_prob_diff" },
        attributeTarget: true,
        ...(memoryBudgetBytes ? { memoryBudgetBytes } : {}),
      });
    const whole = await run();
    expect(calls).toHaveLength(1);
    calls.length = 0;
    const budget = 2 ** 20;
    const split = await run(budget);
    expect(calls.length).toBeGreaterThan(1);
    for (const { rows, length } of calls)
      expect(rows * estimateRowBytes(toy.info, length)).toBeLessThanOrEqual(budget);
    expect(split.source.data).toEqual(whole.source.data);
    expect(split.target!.data).toEqual(whole.target!.data);
  });

  it("refuses before any call when a row fits the budget but not with its contrast row", async () => {
    const sequence = await contrastSequence(toy, options);
    const contrastLength = contrastIds(sequence, sequence.steps.at(-1)!).length;
    // Deep enough that one row of the contrast's length takes 60% of 1 MiB.
    const perLayer = estimateRowBytes({ ...toy.info, numLayers: 1 }, contrastLength);
    const numLayers = Math.floor((0.6 * 2 ** 20) / perLayer);
    let called = false;
    const deep: LanguageModel = {
      ...toy,
      info: { ...toy.info, numLayers },
      gradients: (request) => {
        called = true;
        return toy.gradients!(request);
      },
    };
    const error = await runMethod(saliency, deep, sequence, {
      attributedFunction: { id: "contrast_prob_diff" },
      memoryBudgetBytes: 2 ** 20,
    }).catch((caught: unknown) => caught);
    expect(isTokenscopeError(error) && error.code).toBe("INVALID_INPUT");
    expect(String((error as Error).message)).toContain("contrast row");
    expect(called).toBe(false);
    // Without the contrast, the same budget holds a row.
    await runMethod(saliency, deep, { ...sequence, contrast: undefined } as MethodSequence, {
      memoryBudgetBytes: 2 ** 20,
    });
  });
});
