import {
  decoderInputIds,
  type LanguageModel,
  type MethodSequence,
  type MethodSequenceOutput,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { inputXGradient } from "./input-x-gradient.ts";
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

/** Σ of step t's signed attributions over source cells and target-prefix cells u < t. */
function attributionSum(output: MethodSequenceOutput, t: number): number {
  let total = 0;
  for (const value of rawRow(output.source, t)) total += value;
  if (output.target) for (const value of rawRow(output.target, t)) if (!Number.isNaN(value)) total += value;
  return total;
}

async function unkBaseline(model: LanguageModel, sequence: MethodSequence): Promise<Float64Array> {
  const unk = model.info.specialTokens.unk!;
  return Float64Array.from((await model.embed!([decoderInputIds(sequence).map(() => unk)])).data);
}

describe("integrated_gradients", () => {
  for (const seed of [7, 21]) {
    for (const attributed of ["probability", "logprob"]) {
      it(`is complete within 1% at 64 steps with the unk baseline (${attributed}, seed ${seed})`, async () => {
        const model = createToyModel({ seed });
        const sequence = await sequenceOf(model, "the cat", " sat on");
        const output = await runMethod(integratedGradients, model, sequence, {
          parameters: { n_steps: 64 },
          attributedFunction: { id: attributed },
          attributeTarget: true,
        });
        const input = await inputEmbeddings(model, sequence);
        const baseline = await unkBaseline(model, sequence);
        for (const t of sequence.steps) {
          // f(x) and f(x′) computed independently, through forward.
          const change =
            (await objectiveAt(model, sequence, t, input, attributed)) -
            (await objectiveAt(model, sequence, t, baseline, attributed));
          expect(Math.abs(change)).toBeGreaterThan(1e-6);
          expect(Math.abs(attributionSum(output, t) - change)).toBeLessThanOrEqual(0.01 * Math.abs(change));
          expect(output.stepScores!["deltas"]![t]).toBeCloseTo(attributionSum(output, t) - change, 10);
          expect(output.stepScores![attributed]![t]).toBeCloseTo(
            await objectiveAt(model, sequence, t, input, attributed),
            12,
          );
        }
        expect(output.extras!["points"]).toEqual(sequence.steps.map(() => 64));
      });
    }
  }

  it("without a tolerance is one pass of the rule; with one, a converged first pass is returned as is", async () => {
    const model = createToyModel({ seed: 21 });
    const sequence = await sequenceOf(model, "the cat", " sat on");
    const plain = await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 32 } });
    const loose = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 32, tolerance: 0.5 },
    });
    expect(loose.source.data).toEqual(plain.source.data);
    expect(loose.stepScores).toEqual(plain.stepScores);
    expect(plain.extras!["points"]).toEqual(sequence.steps.map(() => 32));
    expect(plain.extras!["segments"]).toEqual(sequence.steps.map(() => 1));
  });

  it("with a zero baseline and one right-Riemann point equals input × gradient", async () => {
    const model = createToyModel({ seed: 5 });
    const sequence = await sequenceOf(model, "a dog", " ran");
    const ig = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 1, method: "riemann_right", baseline: "zero" },
      attributeTarget: true,
    });
    const ixg = await runMethod(inputXGradient, model, sequence, { attributeTarget: true });
    ig.source.data.forEach((value, i) => {
      expect(value).toBeCloseTo(ixg.source.data[i]!, 12);
    });
  });

  it("converges faster with Gauss–Legendre than with left Riemann sums", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "the cat", " sat");
    const worstDelta = async (method: string) => {
      const output = await runMethod(integratedGradients, model, sequence, {
        parameters: { n_steps: 8, method, baseline: "zero" },
      });
      return Math.max(...output.stepScores!["deltas"]!.map(Math.abs));
    };
    const left = await worstDelta("riemann_left");
    const gauss = await worstDelta("gausslegendre");
    expect(left).toBeGreaterThan(1e-3);
    expect(gauss).toBeLessThan(left / 1000);
  });

  it("refines adaptively until the tolerance is met, recording the points each step used", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "the cat", " sat");
    const output = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 2, method: "riemann_left", baseline: "zero", tolerance: 0.01 },
      attributeTarget: true,
    });
    const input = await inputEmbeddings(model, sequence);
    const zero = new Float64Array(input.length);
    const points = output.extras!["points"] as number[];
    const segments = output.extras!["segments"] as number[];
    for (const t of sequence.steps) {
      const change =
        (await objectiveAt(model, sequence, t, input)) - (await objectiveAt(model, sequence, t, zero));
      expect(Math.abs(attributionSum(output, t) - change)).toBeLessThanOrEqual(0.01 * Math.abs(change));
      expect(output.stepScores!["deltas"]![t]).toBeCloseTo(attributionSum(output, t) - change, 10);
      // 2 first points, then 2 × 2 per split (the segment rule has min(n_steps, 8) = 2 points).
      expect(points[t]).toBe(2 + 4 * (segments[t]! - 1));
    }
    // Each step is refined only as far as it needs.
    expect(new Set(points).size).toBeGreaterThan(1);
    // Without the tolerance, 2 left points are far off: the refinement did the work.
    const coarse = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 2, method: "riemann_left", baseline: "zero" },
    });
    expect(
      coarse.stepScores!["deltas"]!.some(
        (delta, t) => Math.abs(delta) > 0.01 * Math.abs(attributionSum(output, t)),
      ),
    ).toBe(true);
  });

  it("keeps listed positions at the input, so BOS gets no attribution", async () => {
    const model = createToyModel({ seed: 9 });
    const sequence = await sequenceOf(model, "hi there", "!");
    const output = await runMethod(integratedGradients, model, sequence, {
      parameters: { keep: [0], n_steps: 32 },
    });
    const hidden = model.info.hiddenSize;
    expect(
      rawRow(output.source, 0)
        .subarray(0, hidden)
        .every((value) => value === 0),
    ).toBe(true);
    const input = await inputEmbeddings(model, sequence);
    const baseline = await unkBaseline(model, sequence);
    baseline.set(input.subarray(0, hidden), 0);
    const change =
      (await objectiveAt(model, sequence, 0, input)) - (await objectiveAt(model, sequence, 0, baseline));
    expect(Math.abs(attributionSum(output, 0) - change)).toBeLessThanOrEqual(1e-6 * Math.abs(change));
  });

  it("takes a custom baseline embedding, equal to the token baseline it spells out", async () => {
    const model = createToyModel({ seed: 9 });
    const sequence = await sequenceOf(model, "hi", " yo");
    const unkVector = Array.from((await model.embed!([[model.info.specialTokens.unk!]])).data);
    const custom = await runMethod(integratedGradients, model, sequence, {
      parameters: { baseline: unkVector, n_steps: 8 },
    });
    const unk = await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 8 } });
    custom.source.data.forEach((value, i) => {
      expect(value).toBeCloseTo(unk.source.data[i]!, 14);
    });
  });

  it("leaves target-prefix cells at or after each step empty", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "ab", "cde");
    const output = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 4 },
      attributeTarget: true,
    });
    const hidden = model.info.hiddenSize;
    for (let t = 0; t < 3; t++) {
      const row = rawRow(output.target!, t);
      for (let u = 0; u < 3; u++) {
        const cells = row.subarray(u * hidden, (u + 1) * hidden);
        expect(cells.every(u < t ? Number.isFinite : Number.isNaN)).toBe(true);
      }
    }
  });

  it("refuses baselines the model cannot provide and malformed parameters", async () => {
    const model = createToyModel({ seed: 7 });
    const sequence = await sequenceOf(model, "ab", "c");
    await expect(
      runMethod(integratedGradients, model, sequence, { parameters: { baseline: "pad" } }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /padding token id/,
    });
    await expect(
      runMethod(integratedGradients, model, sequence, { parameters: { baseline: [1, 2] } }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /8 numbers/,
    });
    await expect(
      runMethod(integratedGradients, model, sequence, { parameters: { keep: [9] } }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMETERS",
      message: /index 9/,
    });
    await expect(
      runMethod(integratedGradients, model, sequence, {
        parameters: { method: "riemann_trapezoid", n_steps: 1 },
      }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS" });
    await expect(
      runMethod(integratedGradients, model, sequence, {
        parameters: { method: "riemann_trapezoid", n_steps: 8, tolerance: 0.01 },
      }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", message: /use method trapezoid/ });
    await expect(
      runMethod(integratedGradients, model, sequence, { parameters: { n_step: 3 } }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMETERS",
    });
  });
});
