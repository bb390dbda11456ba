import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  attribute,
  evaluateStepFunction,
  getStepFunction,
  type LanguageModel,
  type MethodSequenceOutput,
} from "@tokenscope/core";
import { checkMethodConformance } from "@tokenscope/core/testing";
import { loadModel, writeRandomHfFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methods } from "./index.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { layerGradientXActivation } from "./layer-gradient-x-activation.ts";
import { sequentialIntegratedGradients } from "./sequential-integrated-gradients.ts";
import { rawRow, registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const stories260kDir = join(repoRoot, "../shared/models/stories260K");
const scratch = mkdtempSync(join(tmpdir(), "tokenscope-methods-gradient-"));

let stories: LanguageModel;
const random: Record<string, LanguageModel> = {};

beforeAll(async () => {
  registerAll();
  stories = await loadModel(stories260kDir);
  for (const architecture of ["llama", "gpt2"] as const) {
    const out = join(scratch, architecture);
    await writeRandomHfFolder({ architecture, layers: 2, hidden: 32, heads: 4, vocab: 300, seed: 7, out });
    random[architecture] = await loadModel(out);
  }
}, 120_000);
afterAll(async () => {
  await stories?.dispose?.();
  for (const model of Object.values(random)) await model.dispose?.();
  rmSync(scratch, { recursive: true, force: true });
});

/** f at `position` for `target`, in float64 from the logits of `model.forward` on float32 embeddings [seq, hidden]. */
async function probabilityAt(
  model: LanguageModel,
  embeddings: Float32Array,
  position: number,
  target: number,
): Promise<number> {
  const seq = embeddings.length / model.info.hiddenSize;
  const { logits } = await model.forward!({
    inputs: { embeddings: { data: embeddings, dims: [1, seq, model.info.hiddenSize] } },
    positions: [[position]],
  });
  return evaluateStepFunction(
    getStepFunction("probability"),
    { logits: Float64Array.from(logits.data), targetId: target, parameters: {} },
    { withGradient: false },
  ).value;
}

/** Σ of step t's signed attributions over source cells and target-prefix cells u < t. */
function rowSum(output: MethodSequenceOutput, t: number): number {
  let total = 0;
  for (const value of rawRow(output.source, t)) total += value;
  if (output.target) for (const value of rawRow(output.target, t)) if (!Number.isNaN(value)) total += value;
  return total;
}

describe("gradient methods on real models", () => {
  it("saliency (abs, L2, no normalisation) on stories260K = L2 norm of finite-difference gradients", async () => {
    const result = await attribute(stories, "Once upon a time", {
      method: "saliency",
      target: " there was",
      normalize: false,
    });
    const [sequence] = result.sequences;
    const ids = [...sequence!.source, ...sequence!.target].map((token) => token.id!);
    const hidden = stories.info.hiddenSize;
    const embeddings = Float32Array.from((await stories.embed!([ids])).data);
    const step = 1e-2;
    let worst = 0;
    for (let t = 0; t < sequence!.target.length; t++) {
      const position = sequence!.source.length + t - 1;
      const target = sequence!.target[t]!.id!;
      for (let s = 0; s < sequence!.source.length; s++) {
        let squares = 0;
        for (let d = 0; d < hidden; d++) {
          const i = s * hidden + d;
          const original = embeddings[i]!;
          embeddings[i] = original + step;
          const up = await probabilityAt(stories, embeddings, position, target);
          embeddings[i] = original - step;
          const down = await probabilityAt(stories, embeddings, position, target);
          embeddings[i] = original;
          squares += ((up - down) / (2 * step)) ** 2;
        }
        const reference = Math.sqrt(squares);
        const saliencyNorm = sequence!.sourceAttributions[t]![s]!;
        expect(reference).toBeGreaterThan(0);
        worst = Math.max(worst, Math.abs(saliencyNorm - reference) / reference);
      }
    }
    console.info(
      `saliency vs finite differences on stories260K: worst relative error ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-3);
  }, 120_000);

  const cases = [
    { name: "stories260K", model: () => stories, prompt: "Once upon a time", target: " there was a" },
    { name: "random llama", model: () => random["llama"]!, prompt: "hello world", target: " abc" },
    { name: "random gpt2", model: () => random["gpt2"]!, prompt: "hello world", target: " abc" },
  ];
  for (const { name, model, prompt, target } of cases) {
    for (const attributed of ["probability", "logprob"]) {
      it(`integrated gradients is complete within 1% at 64 steps, unk baseline (${attributed}, ${name})`, async () => {
        const sequence = await sequenceOf(model(), prompt, target);
        const output = await runMethod(integratedGradients, model(), sequence, {
          parameters: { n_steps: 64, baseline: "unk" },
          attributedFunction: { id: attributed },
          attributeTarget: true,
        });
        const baselineScores = output.extras!["baselineScores"] as number[];
        const relative: number[] = [];
        for (const t of sequence.steps) {
          const change = output.stepScores![attributed]![t]! - baselineScores[t]!;
          expect(Math.abs(change)).toBeGreaterThan(1e-6);
          expect(output.stepScores!["deltas"]![t]).toBeCloseTo(rowSum(output, t) - change, 9);
          relative.push(Math.abs(output.stepScores!["deltas"]![t]!) / Math.abs(change));
        }
        console.info(
          `IG ${name} ${attributed}: |delta| / |Δf| per step ${relative.map((r) => r.toExponential(1))}`,
        );
        for (const r of relative) expect(r).toBeLessThanOrEqual(0.01);
      }, 120_000);
    }
  }

  // RMSNorm makes stories260K nearly singular at the zero embedding: each norm amplifies the residual by
  // ~1/sqrt(eps) while it is small, so f(α) has structure from α ≈ 1e-14 up to 1e-1, and uniform
  // Gauss–Legendre misses steps 0–1 by 20.9 and 0.57 of Δf even at 1,024 points.
  it("adaptive integrated gradients reaches 1% with the zero baseline on stories260K", async () => {
    const sequence = await sequenceOf(stories, "Once upon a time", " there was a");
    const output = await runMethod(integratedGradients, stories, sequence, {
      parameters: { baseline: "zero", tolerance: 0.01 },
      attributedFunction: { id: "probability" },
      attributeTarget: true,
    });
    // The defaults: 50 first-pass points, at most 1,024 per step.
    const nSteps = 50;
    const maxPoints = 1024;
    const points = output.extras!["points"] as number[];
    const segments = output.extras!["segments"] as number[];
    const baselineScores = output.extras!["baselineScores"] as number[];
    expect(sequence.steps.length).toBeGreaterThanOrEqual(3);
    const relative = sequence.steps.map((t) => {
      const change = output.stepScores!["probability"]![t]! - baselineScores[t]!;
      expect(output.stepScores!["deltas"]![t]).toBeCloseTo(rowSum(output, t) - change, 9);
      return Math.abs(output.stepScores!["deltas"]![t]!) / Math.abs(change);
    });
    console.info(
      `adaptive IG, zero baseline, stories260K: points ${points}, segments ${segments}, |delta| / |Δf| ${relative.map((r) => r.toExponential(2))}`,
    );
    for (const t of sequence.steps) {
      expect(relative[t]).toBeLessThanOrEqual(0.01);
      expect(points[t]).toBeLessThanOrEqual(maxPoints);
      // A step refined past the first pass has more segments and more points than n_steps.
      if (segments[t]! > 1) expect(points[t]).toBeGreaterThan(nSteps);
      else expect(points[t]).toBe(nSteps);
    }
    // Steps 0 and 1 are far off after the first pass (see above): they needed refinement.
    expect(points[0]).toBeGreaterThan(nSteps);
    expect(points[1]).toBeGreaterThan(nSteps);
  }, 120_000);

  it("batched (two prompts) equals single within 1e-5 on stories260K", async () => {
    const prompts = ["Once upon a time", "Lily saw a big"];
    for (const method of ["saliency", "integrated_gradients", "gradient_shap"]) {
      const targets = [" there was", " red ball"];
      const options = { method, target: targets, normalize: false };
      const batched = await attribute(stories, prompts, options);
      for (const [index, prompt] of prompts.entries()) {
        const single = await attribute(stories, prompt, { ...options, target: targets[index]! });
        const a = batched.sequences[index]!.sourceAttributions.flat();
        const b = single.sequences[0]!.sourceAttributions.flat();
        expect(a.length).toBe(b.length);
        a.forEach((value, i) => {
          expect(Math.abs(value! - b[i]!)).toBeLessThanOrEqual(1e-5);
        });
      }
    }
  }, 120_000);

  // At 64 points the objective's own position misses by 2.8% (its path runs straight through the final
  // norm); every other position is within 1e-5. 256 points bring the worst to 3e-5.
  it("sequential integrated gradients is complete per position within 1% at 256 steps on stories260K", async () => {
    const sequence = await sequenceOf(stories, "Once upon a time", " there was");
    const output = await runMethod(sequentialIntegratedGradients, stories, sequence, {
      parameters: { n_steps: 256, baseline: "unk" },
      attributeTarget: true,
    });
    const positionDeltas = output.extras!["positionDeltas"] as (number | null)[][];
    const ablatedScores = output.extras!["ablatedScores"] as number[][];
    let worst = 0;
    for (const t of sequence.steps) {
      positionDeltas[t]!.forEach((delta, i) => {
        if (delta === null) return;
        const change = output.stepScores!["probability"]![t]! - ablatedScores[t]![i]!;
        // Positions whose ablation barely moves f are held to an absolute floor instead.
        worst = Math.max(worst, Math.abs(delta) / Math.max(Math.abs(change), 1e-4));
      });
    }
    console.info(`SIG stories260K: worst |delta_i| / max(|Δf_i|, 1e-4) = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(0.01);
  }, 120_000);

  it("layer_gradient_x_activation at layer L = activation × gradient from model.gradients", async () => {
    const sequence = await sequenceOf(stories, "Once upon a time", " there was");
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    for (const layer of [0, stories.info.numLayers - 1]) {
      const output = await runMethod(layerGradientXActivation, stories, sequence, {
        parameters: { layer },
        attributeTarget: true,
      });
      for (const t of sequence.steps) {
        const position = sequence.source.length + t - 1;
        const reference = await stories.gradients!({
          inputs: { ids: [ids] },
          objective: {
            kind: "stepFunction",
            stepFunction: "probability",
            positions: [position],
            targetIds: [sequence.target[t]!.id!],
          },
          wrt: { kind: "residual", layer },
        });
        const hidden = stories.info.hiddenSize;
        const expected = Array.from(reference.gradients.data, (g, i) => g * reference.activations.data[i]!);
        const scale = expected.reduce((worst, value) => Math.max(worst, Math.abs(value)), 0);
        expect(scale).toBeGreaterThan(0);
        // The method's full row: source cells, then target-prefix cells u < t.
        const row = [...rawRow(output.source, t), ...rawRow(output.target!, t).subarray(0, t * hidden)];
        expect(row).toHaveLength((position + 1) * hidden);
        // The method batches every step in one call, the reference runs one row: float32 rounding differs.
        row.forEach((value, i) => {
          expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(1e-5 * scale);
        });
        // After the last layer, only the objective's own position reaches its logits.
        if (layer === stories.info.numLayers - 1)
          for (let i = 0; i < position * hidden; i++) expect(Math.abs(row[i]!)).toBe(0);
      }
    }
  }, 120_000);

  for (const method of methods) {
    it(`${method.id} passes the conformance suite on stories260K`, async (context) => {
      // Skipped by capability: layer_integrated_gradients waits for interventions.residual on ONNX models.
      if (!method.requires.every((need) => stories.capabilities.has(need))) context.skip();
      const checks = await checkMethodConformance(method, {
        model: stories,
        tolerance: 1e-5,
        examples: [
          { prompt: "Once upon a time", target: " there was" },
          { prompt: "Lily saw", target: " a big red" },
        ],
        ...(["integrated_gradients", "smooth_grad", "sequential_integrated_gradients"].includes(method.id)
          ? { parameters: { n_steps: 8 } }
          : {}),
      });
      for (const check of checks)
        expect(check, `${check.name}: ${check.message}`).toMatchObject({ passed: true });
    }, 120_000);
  }
});
