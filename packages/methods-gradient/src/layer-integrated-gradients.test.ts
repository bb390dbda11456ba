import {
  decoderInputIds,
  type LanguageModel,
  type MethodContext,
  type MethodSequenceOutput,
  parseParameters,
  stepPosition,
  targetId,
} from "@tokenscope/core";
import { checkMethodConformance } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateRowBytes } from "./batch-budget.ts";
import { layerGradientXActivation } from "./layer-gradient-x-activation.ts";
import {
  type LayerIntegratedGradientsParameters,
  layerIntegratedGradients,
} from "./layer-integrated-gradients.ts";
import {
  createLayeredModel,
  NUM_LAYERS,
  objectiveFromResidual,
  residualFrom,
} from "./layered-model.test-helpers.ts";
import { rawRow, registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

/** Σ of step t's signed attributions over source cells and target-prefix cells u < t. */
function attributionSum(output: MethodSequenceOutput, t: number): number {
  let total = 0;
  for (const value of rawRow(output.source, t)) total += value;
  if (output.target) for (const value of rawRow(output.target, t)) if (!Number.isNaN(value)) total += value;
  return total;
}

describe("the layered test model", () => {
  it("gives residual gradients under replaceResidual equal to central finite differences", async () => {
    const model = createLayeredModel(3);
    const sequence = await sequenceOf(model, "the cat", " sat");
    const ids = decoderInputIds(sequence);
    const residual = await residualFrom(model, ids, 0);
    const t = 2;
    const { gradients } = await model.gradients!({
      inputs: { ids: [ids] },
      objective: {
        kind: "stepFunction",
        stepFunction: "probability",
        positions: [stepPosition(sequence, t)],
        targetIds: [targetId(sequence, t)],
      },
      wrt: { kind: "residual", layer: 0 },
      interventions: [
        { kind: "replaceResidual", layer: 0, values: { data: residual, dims: [1, ids.length, 8] } },
      ],
    });
    let checked = 0;
    for (let i = 0; i < residual.length; i += 3) {
      const up = Float64Array.from(residual);
      const down = Float64Array.from(residual);
      up[i]! += 1e-6;
      down[i]! -= 1e-6;
      const numeric =
        ((await objectiveFromResidual(model, sequence, t, 0, up)) -
          (await objectiveFromResidual(model, sequence, t, 0, down))) /
        2e-6;
      expect(Math.abs(gradients.data[i]! - numeric)).toBeLessThanOrEqual(1e-8);
      if (Math.abs(numeric) > 1e-4) checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe("layer_integrated_gradients", () => {
  for (const layer of [0, NUM_LAYERS - 1]) {
    for (const attributed of ["probability", "logprob"]) {
      it(`is complete at layer ${layer} with the unk baseline (${attributed})`, async () => {
        const model = createLayeredModel(11);
        const sequence = await sequenceOf(model, "the cat", " sat on");
        const output = await runMethod(layerIntegratedGradients, model, sequence, {
          parameters: { layer, n_steps: 64 },
          attributedFunction: { id: attributed },
          attributeTarget: true,
        });
        const ids = decoderInputIds(sequence);
        const input = await residualFrom(model, ids, layer);
        const baseline = await residualFrom(
          model,
          ids.map(() => model.info.specialTokens.unk!),
          layer,
        );
        for (const t of sequence.steps) {
          // f(h) and f(h′) computed independently of the method's path rows.
          const atInput = await objectiveFromResidual(model, sequence, t, layer, input, attributed);
          const change =
            atInput - (await objectiveFromResidual(model, sequence, t, layer, baseline, attributed));
          expect(Math.abs(change)).toBeGreaterThan(1e-4);
          // A smooth analytic path: 64 Gauss–Legendre points leave no visible quadrature error.
          expect(Math.abs(attributionSum(output, t) - change)).toBeLessThanOrEqual(1e-9 * Math.abs(change));
          expect(output.stepScores!["deltas"]![t]).toBeCloseTo(attributionSum(output, t) - change, 12);
          expect(output.stepScores![attributed]![t]).toBeCloseTo(atInput, 12);
          expect((output.extras!["baselineScores"] as number[])[t]).toBeCloseTo(atInput - change, 12);
        }
        expect(output.extras!["points"]).toEqual(sequence.steps.map(() => 64));
      });
    }
  }

  it("is complete against f(0) with the zero baseline", async () => {
    const model = createLayeredModel(5);
    const sequence = await sequenceOf(model, "a dog", " ran");
    const output = await runMethod(layerIntegratedGradients, model, sequence, {
      parameters: { layer: 0, n_steps: 32, baseline: "zero" },
      attributeTarget: true,
    });
    const input = await residualFrom(model, decoderInputIds(sequence), 0);
    for (const t of sequence.steps) {
      const change =
        (await objectiveFromResidual(model, sequence, t, 0, input)) -
        (await objectiveFromResidual(model, sequence, t, 0, new Float64Array(input.length)));
      expect(Math.abs(change)).toBeGreaterThan(1e-4);
      expect(Math.abs(attributionSum(output, t) - change)).toBeLessThanOrEqual(1e-9 * Math.abs(change));
    }
  });

  it("uses the residual tapped at `layer`: one right-Riemann point from zero is layer gradient × activation", async () => {
    const model = createLayeredModel(7);
    const sequence = await sequenceOf(model, "the cat", " sat");
    const byLayer: MethodSequenceOutput[] = [];
    for (const layer of [0, 1]) {
      const lig = await runMethod(layerIntegratedGradients, model, sequence, {
        parameters: { layer, n_steps: 1, method: "riemann_right", baseline: "zero" },
        attributeTarget: true,
      });
      const lgxa = await runMethod(layerGradientXActivation, model, sequence, {
        parameters: { layer },
        attributeTarget: true,
      });
      expect(lig.source.dims).toEqual(lgxa.source.dims);
      lig.source.data.forEach((value, i) => {
        expect(Math.abs(value - lgxa.source.data[i]!)).toBeLessThanOrEqual(1e-12);
      });
      lig.target!.data.forEach((value, i) => {
        const other = lgxa.target!.data[i]!;
        expect(Number.isNaN(value)).toBe(Number.isNaN(other));
        if (!Number.isNaN(value)) expect(Math.abs(value - other)).toBeLessThanOrEqual(1e-12);
      });
      byLayer.push(lig);
    }
    // Different layers, different residuals: the layer parameter reaches the model.
    const [first, second] = byLayer.map((output) => Array.from(output.source.data));
    const scale = Math.max(...first!.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(Math.max(...first!.map((value, i) => Math.abs(value - second![i]!)))).toBeGreaterThan(0.1 * scale);
  });

  it("leaves later target cells empty and gives zero to positions after a step's objective", async () => {
    const model = createLayeredModel(9);
    const sequence = await sequenceOf(model, "hi", " there");
    const output = await runMethod(layerIntegratedGradients, model, sequence, {
      parameters: { n_steps: 8 },
      attributeTarget: true,
    });
    const hidden = model.info.hiddenSize;
    for (const t of sequence.steps) {
      const row = rawRow(output.target!, t);
      for (let u = 0; u < sequence.target.length; u++) {
        const cell = row.subarray(u * hidden, (u + 1) * hidden);
        if (u >= t) expect(cell.every(Number.isNaN)).toBe(true);
        else expect(cell.some((value) => value !== 0)).toBe(true);
      }
    }
    const checks = await checkMethodConformance(layerIntegratedGradients, {
      model,
      tolerance: 1e-10,
      parameters: { n_steps: 8 },
    });
    for (const check of checks)
      expect(check, `${check.name}: ${check.message}`).toMatchObject({ passed: true });
  });

  it("keeps the positions in `keep`: BOS gets exactly zero", async () => {
    const model = createLayeredModel(4);
    const sequence = await sequenceOf(model, "the cat", " sat");
    const hidden = model.info.hiddenSize;
    for (const baseline of ["unk", "zero"]) {
      const output = await runMethod(layerIntegratedGradients, model, sequence, {
        parameters: { n_steps: 16, baseline, keep: [0] },
      });
      for (const t of sequence.steps) {
        expect(
          rawRow(output.source, t)
            .subarray(0, hidden)
            .every((value) => value === 0),
        ).toBe(true);
        expect(
          rawRow(output.source, t)
            .subarray(hidden)
            .some((value) => value !== 0),
        ).toBe(true);
      }
    }
  });

  it("splits rows by the memory budget with the same result, reports progress and honours abort", async () => {
    const base = createLayeredModel(6);
    let calls = 0;
    const model: LanguageModel = {
      ...base,
      gradients: (request) => {
        calls++;
        return base.gradients!(request);
      },
    };
    const sequence = await sequenceOf(model, "the cat", " sat");
    const parameters = parseParameters(layerIntegratedGradients.parameters, { n_steps: 4 }, "lig");
    const progress: number[] = [];
    const context = (extra: Partial<MethodContext<LayerIntegratedGradientsParameters>>) => ({
      model,
      parameters,
      sequences: [sequence],
      attributedFunction: { id: "probability", parameters: {} },
      attributeTarget: false,
      ...extra,
    });
    const [whole] = await layerIntegratedGradients.run(context({}));
    expect(calls).toBe(1);
    calls = 0;
    const [split] = await layerIntegratedGradients.run(
      context({
        // One row's estimate: one row per call.
        memoryBudgetBytes: estimateRowBytes(model.info, sequence.source.length + sequence.target.length),
        onProgress: (event) => progress.push(event.completed),
      }),
    );
    const rows = sequence.steps.length * (4 + 2);
    expect(calls).toBe(rows);
    expect(progress).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    split!.source.data.forEach((value, i) => {
      expect(value).toBe(whole!.source.data[i]);
    });
    const controller = new AbortController();
    controller.abort();
    await expect(layerIntegratedGradients.run(context({ signal: controller.signal }))).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("refuses a layer the model lacks, a keep index past the sequence and a missing baseline token", async () => {
    const model = createLayeredModel(2);
    const sequence = await sequenceOf(model, "ab", " c");
    await expect(
      runMethod(layerIntegratedGradients, model, sequence, { parameters: { layer: NUM_LAYERS } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", message: expect.stringContaining("layer 2") });
    await expect(
      runMethod(layerIntegratedGradients, model, sequence, { parameters: { keep: [9] } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", message: expect.stringContaining("index 9") });
    // "unk" falls back to padding, then EOS (core's unknownToken): a model with none of the three.
    const noUnkPad = createLayeredModel(2, { pad: false });
    const { eos: _eos, ...noBaselineToken } = noUnkPad.info.specialTokens;
    const noUnk = { ...noUnkPad, info: { ...noUnkPad.info, specialTokens: noBaselineToken } };
    await expect(runMethod(layerIntegratedGradients, noUnk, sequence, {})).rejects.toMatchObject({
      code: "INVALID_PARAMETERS",
      message: expect.stringContaining('Baseline "unk"'),
    });
    expect(() => parseParameters(layerIntegratedGradients.parameters, { baseline: [0, 1] }, "lig")).toThrow();
  });
});
