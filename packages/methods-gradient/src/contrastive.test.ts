import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  evaluateStepFunction,
  getStepFunction,
  type LanguageModel,
  type MethodSequence,
  type MethodSequenceOutput,
  seededUniform,
} from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contrastIds, contrastSequence, fullRow, idsOf } from "./contrastive.test-helpers.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { layerGradientXActivation } from "./layer-gradient-x-activation.ts";
import { saliency } from "./saliency.ts";
import { registerAll, runMethod } from "./testing.test-helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const stories260kDir = join(repoRoot, "../shared/models/stories260K");

let stories: LanguageModel;
beforeAll(async () => {
  registerAll();
  stories = await loadModel(stories260kDir);
}, 120_000);
afterAll(async () => {
  await stories?.dispose?.();
});

/** f at step t from the logits of both sides, each from `model.forward` on its own embeddings. */
async function objectiveValues(
  model: LanguageModel,
  sequence: MethodSequence,
  t: number,
  rows: { original: Float32Array; contrast: Float32Array }[],
  attributed: { id: string; parameters?: Record<string, unknown> },
): Promise<number[]> {
  const hidden = model.info.hiddenSize;
  const logitsOf = async (inputs: Float32Array[], position: number) => {
    const length = inputs[0]!.length / hidden;
    const data = new Float32Array(inputs.length * inputs[0]!.length);
    for (const [index, input] of inputs.entries()) data.set(input, index * input.length);
    const { logits } = await model.forward!({
      inputs: { embeddings: { data, dims: [inputs.length, length, hidden] } },
      positions: inputs.map(() => [position]),
    });
    const vocab = logits.dims[2]!;
    return inputs.map((_, index) =>
      Float64Array.from(logits.data.subarray(index * vocab, (index + 1) * vocab)),
    );
  };
  const original = await logitsOf(
    rows.map((row) => row.original),
    sequence.source.length + t - 1,
  );
  const contrast = await logitsOf(
    rows.map((row) => row.contrast),
    contrastIds(sequence, t).length - 1,
  );
  const contrastTarget = sequence.contrast!.target[sequence.contrast!.alignment[t]!]!.id!;
  return rows.map(
    (_, index) =>
      evaluateStepFunction(
        getStepFunction(attributed.id),
        {
          logits: original[index]!,
          contrastLogits: contrast[index]!,
          targetId: sequence.target[t]!.id!,
          contrastTargetId: contrastTarget,
          parameters: attributed.parameters ?? {},
        },
        { withGradient: false },
      ).value,
  );
}

/** The input embeddings of both sides of step t, as float32 (what the model runs on). */
async function sides(model: LanguageModel, sequence: MethodSequence, t: number) {
  const original = Float32Array.from(
    (await model.embed!([[...idsOf(sequence.source), ...idsOf(sequence.target)]])).data,
  );
  const contrast = Float32Array.from((await model.embed!([contrastIds(sequence, t)])).data);
  return { original, contrast };
}

/**
 * Central finite differences of f at step t with respect to components `indices` of the original
 * input's embeddings [source + t positions, hidden]: a prompt component moves in BOTH sides when the
 * contrast shares the prompt, a target-prefix component in the original side only.
 */
async function finiteDifferences(
  model: LanguageModel,
  sequence: MethodSequence,
  t: number,
  indices: readonly number[],
  attributed: { id: string; parameters?: Record<string, unknown> },
  // Large enough that float32 rounding of the logits (~1e-7 of them) stays far below 1e-3 of the
  // difference quotient, small enough that the truncation error does too (measured: the error is
  // smallest from 1e-2 to 3e-2 for kl_divergence, and grows as 1/ε below).
  epsilon = 1e-2,
): Promise<Float64Array> {
  const hidden = model.info.hiddenSize;
  const sourceSize = sequence.source.length * hidden;
  const base = await sides(model, sequence, t);
  const { sharesSource } = sequence.contrast!;
  if (sharesSource)
    expect(base.contrast.subarray(0, sourceSize)).toEqual(base.original.subarray(0, sourceSize));
  const rows: { original: Float32Array; contrast: Float32Array }[] = [];
  const steps: number[] = [];
  for (const i of indices) {
    for (const sign of [1, -1]) {
      const original = Float32Array.from(base.original);
      const contrast = Float32Array.from(base.contrast);
      original[i] = base.original[i]! + sign * epsilon;
      if (sharesSource && i < sourceSize) contrast[i] = original[i]!;
      rows.push({ original, contrast });
    }
    // The step actually taken in float32.
    steps.push(Math.fround(base.original[i]! + epsilon) - Math.fround(base.original[i]! - epsilon));
  }
  const values = await objectiveValues(model, sequence, t, rows, attributed);
  return Float64Array.from(indices, (_, k) => (values[2 * k]! - values[2 * k + 1]!) / steps[k]!);
}

/** The `top` largest |row| components and `random` others, seeded. */
function sampleComponents(row: ArrayLike<number>, top: number, random: number, seed: number): number[] {
  const order = Array.from(row, (_, i) => i).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!));
  const chosen = new Set(order.slice(0, top));
  const next = seededUniform(seed);
  while (chosen.size < Math.min(row.length, top + random)) chosen.add(Math.floor(next() * row.length));
  return [...chosen];
}

/** The worst |method − FD| over sampled components of every step, and the largest |gradient| seen. */
async function compareWithFiniteDifferences(
  model: LanguageModel,
  sequence: MethodSequence,
  output: MethodSequenceOutput,
  attributed: { id: string; parameters?: Record<string, unknown> },
  sample = { top: 6, random: 10 },
) {
  const hidden = model.info.hiddenSize;
  let worst = 0;
  let scale = 0;
  for (const t of sequence.steps) {
    const row = fullRow(output, t, hidden);
    const indices = sampleComponents(row, sample.top, sample.random, 11 + t);
    // Both a prompt and a target-prefix component are checked where the step has a prefix.
    if (t > 0) indices.push(sequence.source.length * hidden + 3);
    const reference = await finiteDifferences(model, sequence, t, indices, attributed);
    indices.forEach((i, k) => {
      worst = Math.max(worst, Math.abs(row[i]! - reference[k]!));
      scale = Math.max(scale, Math.abs(reference[k]!));
    });
  }
  return { worst, scale };
}

const PROMPT = "Once upon a time, there was a little girl";

describe("contrastive gradients on stories260K (both sides differentiated)", () => {
  for (const [method, parameters] of [
    [saliency, { abs: false }],
    [integratedGradients, { n_steps: 8 }],
  ] as const) {
    for (const id of ["contrast_prob_diff", "kl_divergence"]) {
      it(`a contrast identical to the target gives exactly 0 (${method.id}, ${id})`, async () => {
        const sequence = await contrastSequence(stories, { prompt: PROMPT, target: " named Lily. She" });
        const output = await runMethod(method as typeof saliency, stories, sequence, {
          parameters,
          attributedFunction: { id },
          attributeTarget: true,
        });
        for (const t of sequence.steps) {
          expect(output.stepScores![id]![t]).toBe(0);
          const row = fullRow(output, t, stories.info.hiddenSize);
          expect(row.every((value) => value === 0)).toBe(true);
        }
      }, 30_000);
    }
  }

  it("saliency = finite differences of p(y_t | x, y<t) − p(c | x, c<t) through both sides", async () => {
    // Identity alignment: step 0 is its own contrast (both predict from the prompt), later steps not.
    const sequence = await contrastSequence(stories, {
      prompt: PROMPT,
      target: " named Lily. She",
      contrast: " who loved to play",
    });
    expect(sequence.target.length).toBe(4);
    expect(sequence.contrast!.target.length).toBe(7);
    const attributed = { id: "contrast_prob_diff" };
    const output = await runMethod(saliency, stories, sequence, {
      parameters: { abs: false },
      attributedFunction: attributed,
      attributeTarget: true,
    });
    for (const t of sequence.steps) {
      const [direct] = await objectiveValues(
        stories,
        sequence,
        t,
        [await sides(stories, sequence, t)],
        attributed,
      );
      expect(Math.abs(output.stepScores!["contrast_prob_diff"]![t]! - direct!)).toBeLessThanOrEqual(1e-6);
    }
    const { worst, scale } = await compareWithFiniteDifferences(stories, sequence, output, attributed);
    console.info(
      `contrastive saliency vs FD (shared prompt): max |error| ${worst.toExponential(2)}, max |grad| ${scale.toExponential(2)}`,
    );
    expect(scale).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThanOrEqual(1e-3);
  }, 30_000);

  it("integrated gradients is complete against f(x) − f(x′) of both sides (unk baseline, 64 points)", async () => {
    const sequence = await contrastSequence(stories, {
      prompt: PROMPT,
      target: " named Lily. She",
      contrast: " who loved to play",
      align: "right",
    });
    const attributed = { id: "contrast_prob_diff" };
    const output = await runMethod(integratedGradients, stories, sequence, {
      parameters: { n_steps: 64, baseline: "unk" },
      attributedFunction: attributed,
      attributeTarget: true,
    });
    const hidden = stories.info.hiddenSize;
    const sourceSize = sequence.source.length * hidden;
    const seq = sequence.source.length + sequence.target.length;
    // IG's baseline: the unk token at every position of the original input; the contrast row takes
    // it on the prompt, its contrast tokens stay at their embeddings.
    const unk = Float32Array.from((await stories.embed!([new Array<number>(seq).fill(0)])).data);
    let worst = 0;
    for (const t of sequence.steps) {
      const input = await sides(stories, sequence, t);
      const contrastBaseline = Float32Array.from(input.contrast);
      contrastBaseline.set(unk.subarray(0, sourceSize));
      const [fx, fBaseline] = await objectiveValues(
        stories,
        sequence,
        t,
        [input, { original: unk, contrast: contrastBaseline }],
        attributed,
      );
      const change = fx! - fBaseline!;
      let total = 0;
      for (const value of fullRow(output, t, hidden)) total += value;
      expect(Math.abs(change)).toBeGreaterThan(1e-3);
      expect(Math.abs(output.stepScores!["contrast_prob_diff"]![t]! - fx!)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs((output.extras!["baselineScores"] as number[])[t]! - fBaseline!)).toBeLessThanOrEqual(
        1e-6,
      );
      worst = Math.max(worst, Math.abs(total - change) / Math.abs(change));
    }
    console.info(
      `contrastive IG completeness (unk, 64 points): worst |Σ − Δf| / |Δf| ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(0.01);
  }, 30_000);

  it("a different contrast prompt is a constant: saliency = finite differences of p(y_t | x, y<t)", async () => {
    const sequence = await contrastSequence(stories, {
      prompt: PROMPT,
      target: " named Lily. She",
      contrastPrompt: "Once upon a time, there was a little boy",
    });
    expect(sequence.contrast!.source.length).not.toBe(0);
    const attributed = { id: "contrast_prob_diff" };
    const output = await runMethod(saliency, stories, sequence, {
      parameters: { abs: false },
      attributedFunction: attributed,
      attributeTarget: true,
    });
    for (const t of sequence.steps) {
      const [direct] = await objectiveValues(
        stories,
        sequence,
        t,
        [await sides(stories, sequence, t)],
        attributed,
      );
      expect(Math.abs(output.stepScores!["contrast_prob_diff"]![t]! - direct!)).toBeLessThanOrEqual(1e-6);
    }
    // The contrast side is held fixed by finiteDifferences (sharesSource is false): only p(y_t | x, y<t) moves.
    const { worst, scale } = await compareWithFiniteDifferences(stories, sequence, output, attributed);
    // The same as saliency of the probability alone.
    const probability = await runMethod(saliency, stories, sequence, {
      parameters: { abs: false },
      attributedFunction: { id: "probability" },
      attributeTarget: true,
    });
    let gap = 0;
    for (const t of sequence.steps) {
      const a = fullRow(output, t, stories.info.hiddenSize);
      const b = fullRow(probability, t, stories.info.hiddenSize);
      a.forEach((value, i) => {
        gap = Math.max(gap, Math.abs(value - b[i]!));
      });
    }
    console.info(
      `contrastive saliency vs FD (contrast prompt): max |error| ${worst.toExponential(2)}, max |grad| ${scale.toExponential(2)}, vs probability saliency ${gap.toExponential(2)}`,
    );
    expect(scale).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThanOrEqual(1e-3);
    expect(gap).toBeLessThanOrEqual(1e-6);
  }, 30_000);

  it("kl_divergence (two logit vectors, not separable) = finite differences through both sides", async () => {
    const sequence = await contrastSequence(stories, {
      prompt: PROMPT,
      target: " named Lily. She",
      contrast: " who loved to play",
      align: "right",
    });
    const attributed = { id: "kl_divergence" };
    const output = await runMethod(saliency, stories, sequence, {
      parameters: { abs: false },
      attributedFunction: attributed,
      attributeTarget: true,
    });
    const { worst, scale } = await compareWithFiniteDifferences(stories, sequence, output, attributed, {
      top: 3,
      random: 3,
    });
    console.info(
      `contrastive saliency of kl_divergence vs FD: max |error| ${worst.toExponential(2)}, max |grad| ${scale.toExponential(2)}`,
    );
    expect(scale).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThanOrEqual(1e-3);
  }, 30_000);

  it("layer_gradient_x_activation adds the contrast row's residual gradient at the prompt", async () => {
    const sequence = await contrastSequence(stories, {
      prompt: "Once upon a time",
      target: " there was",
      contrast: " she saw a",
      align: "right",
    });
    const layer = 1;
    const output = await runMethod(layerGradientXActivation, stories, sequence, {
      parameters: { layer },
      attributedFunction: { id: "contrast_prob_diff" },
      attributeTarget: true,
    });
    const hidden = stories.info.hiddenSize;
    const sourceSize = sequence.source.length * hidden;
    const ids = [...idsOf(sequence.source), ...idsOf(sequence.target)];
    let worst = 0;
    let scale = 0;
    for (const t of sequence.steps) {
      // f = p(y_t) − p(c): each side's gradient from its own call, with in-graph probability objectives.
      const probabilityGradient = (inputIds: number[], position: number, id: number) =>
        stories.gradients!({
          inputs: { ids: [inputIds] },
          objective: {
            kind: "stepFunction",
            stepFunction: "probability",
            positions: [position],
            targetIds: [id],
          },
          wrt: { kind: "residual", layer },
        });
      const original = await probabilityGradient(
        ids,
        sequence.source.length + t - 1,
        sequence.target[t]!.id!,
      );
      const contrastInput = contrastIds(sequence, t);
      const contrast = await probabilityGradient(
        contrastInput,
        contrastInput.length - 1,
        sequence.contrast!.target[sequence.contrast!.alignment[t]!]!.id!,
      );
      const row = fullRow(output, t, hidden);
      row.forEach((value, i) => {
        const gradient = original.gradients.data[i]! - (i < sourceSize ? contrast.gradients.data[i]! : 0);
        const expected = gradient * original.activations.data[i]!;
        worst = Math.max(worst, Math.abs(value - expected));
        scale = Math.max(scale, Math.abs(expected));
      });
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
  }, 30_000);
});
