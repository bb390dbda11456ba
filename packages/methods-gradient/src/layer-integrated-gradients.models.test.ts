import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LanguageModel, type MethodSequenceOutput, stepPosition, targetId } from "@tokenscope/core";
import { checkMethodConformance } from "@tokenscope/core/testing";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layerIntegratedGradients } from "./layer-integrated-gradients.ts";
import { rawRow, registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const stories260kDir = join(repoRoot, "../shared/models/stories260K");

/** Σ of step t's signed attributions over source cells and target-prefix cells u < t. */
function rowSum(output: MethodSequenceOutput, t: number): number {
  let total = 0;
  for (const value of rawRow(output.source, t)) total += value;
  if (output.target) for (const value of rawRow(output.target, t)) if (!Number.isNaN(value)) total += value;
  return total;
}

describe("layer_integrated_gradients on stories260K", () => {
  let stories: LanguageModel;
  beforeAll(async () => {
    registerAll();
    stories = await loadModel(stories260kDir);
  }, 120_000);
  afterAll(async () => {
    await stories?.dispose?.();
  });

  for (const attributed of ["probability", "logprob"]) {
    it(`is complete within 1% at 64 steps with the unk baseline, first and last layer (${attributed})`, async () => {
      const sequence = await sequenceOf(stories, "Once upon a time", " there was a");
      const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
      for (const layer of [0, stories.info.numLayers - 1]) {
        const output = await runMethod(layerIntegratedGradients, stories, sequence, {
          parameters: { layer, n_steps: 64, baseline: "unk" },
          attributedFunction: { id: attributed },
          attributeTarget: true,
        });
        const baselineScores = output.extras!["baselineScores"] as number[];
        const relative: number[] = [];
        for (const t of sequence.steps) {
          // f(h) from a plain gradient call on the ids (no intervention): the path's end must match it.
          const plain = await stories.gradients!({
            inputs: { ids: [ids] },
            objective: {
              kind: "stepFunction",
              stepFunction: attributed,
              positions: [stepPosition(sequence, t)],
              targetIds: [targetId(sequence, t)],
            },
            wrt: { kind: "residual", layer },
          });
          expect(output.stepScores![attributed]![t]).toBeCloseTo(plain.objective[0]!, 4);
          const change = output.stepScores![attributed]![t]! - baselineScores[t]!;
          expect(Math.abs(change)).toBeGreaterThan(1e-6);
          expect(output.stepScores!["deltas"]![t]).toBeCloseTo(rowSum(output, t) - change, 9);
          relative.push(Math.abs(output.stepScores!["deltas"]![t]!) / Math.abs(change));
        }
        console.info(
          `LIG stories260K layer ${layer} ${attributed}: |delta| / |Δf| per step ${relative.map((r) => r.toExponential(1))}`,
        );
        for (const r of relative) expect(r).toBeLessThanOrEqual(0.01);
      }
    }, 120_000);
  }

  it("passes the conformance suite", async () => {
    const checks = await checkMethodConformance(layerIntegratedGradients, {
      model: stories,
      tolerance: 1e-5,
      parameters: { n_steps: 8 },
      examples: [
        { prompt: "Once upon a time", target: " there was" },
        { prompt: "Lily saw", target: " a big red" },
      ],
    });
    for (const check of checks)
      expect(check, `${check.name}: ${check.message}`).toMatchObject({ passed: true });
  }, 120_000);
});
