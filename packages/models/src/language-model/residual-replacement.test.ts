import {
  type GradientObjective,
  isTokenscopeError,
  type LanguageModel,
  registerCoreBuiltins,
} from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../load-model.ts";
import { stories260kDir } from "../testing/assets.test-helpers.ts";
import { maxRelativeError, storiesSteps } from "./stories-steps.test-helpers.ts";

let model: LanguageModel;
beforeAll(async () => {
  registerCoreBuiltins();
  model = await loadModel(stories260kDir);
});
afterAll(() => model.dispose?.());

const { ids, positions, targets } = storiesSteps;

async function residualAt(layer: number, rows: number) {
  const { taps } = await model.forward!({
    inputs: { ids: Array.from({ length: rows }, () => ids) },
    taps: { residual: true, layers: [layer] },
  });
  return taps!.residual![0]!;
}

describe("replaceResidual", () => {
  it("declares the capability", () => {
    expect(model.capabilities.has("interventions.residual")).toBe(true);
  });

  it.each([0, 3, 4])(
    "forward from the tapped residual of layer %i gives the model's own logits",
    async (layer) => {
      const last = model.info.numLayers - 1;
      const chosen = Math.min(layer, last);
      const values = await residualAt(chosen, 1);
      const plain = await model.forward!({ inputs: { ids: [ids] }, positions: [positions] });
      const replaced = await model.forward!({
        // The token input is not read: any ids of the right shape do.
        inputs: { ids: [ids.map(() => 0)] },
        positions: [positions],
        interventions: [{ kind: "replaceResidual", layer: chosen, values }],
      });
      expect(maxRelativeError(replaced.logits.data, plain.logits.data)).toBeLessThan(1e-5);
    },
  );

  const objectives: [string, (values: Float32Array) => GradientObjective][] = [
    [
      "a built-in step function (in the graph)",
      () => ({ kind: "stepFunction", stepFunction: "probability", positions, targetIds: targets }),
    ],
    [
      "explicit logit seeds (two-phase)",
      () => {
        const vocab = model.info.vocabSize;
        const seeds = new Float32Array(positions.length * vocab);
        targets.forEach((target, row) => {
          seeds[row * vocab + target] = 1;
        });
        return { kind: "logitSeeds", positions, seeds: { data: seeds, dims: [positions.length, vocab] } };
      },
    ],
  ];

  it.each(objectives)(
    "gradients w.r.t. the replaced residual equal those of the full model: %s",
    async (_, objective) => {
      const layer = 1;
      const values = await residualAt(layer, positions.length);
      const full = await model.gradients!({
        inputs: { ids: positions.map(() => ids) },
        objective: objective(values.data as Float32Array),
        wrt: { kind: "residual", layer },
      });
      const replaced = await model.gradients!({
        inputs: { ids: positions.map(() => ids) },
        objective: objective(values.data as Float32Array),
        wrt: { kind: "residual", layer },
        interventions: [{ kind: "replaceResidual", layer, values }],
      });
      expect(maxRelativeError(replaced.gradients.data, full.gradients.data)).toBeLessThan(1e-5);
      expect(maxRelativeError(replaced.activations.data, full.activations.data)).toBeLessThan(1e-6);
      for (let row = 0; row < positions.length; row++) {
        // Explicit seeds carry no objective value (NaN in both).
        if (Number.isNaN(full.objective[row]!)) expect(replaced.objective[row]).toBeNaN();
        else expect(replaced.objective[row]).toBeCloseTo(full.objective[row]!, 6);
      }
    },
  );

  it("differs from the model's own run when the residual is changed (the intervention is applied)", async () => {
    const layer = 2;
    const values = await residualAt(layer, 1);
    const scaled = { data: Float32Array.from(values.data, (v) => v * 0.5), dims: values.dims };
    const plain = await model.forward!({ inputs: { ids: [ids] }, positions: [positions] });
    const replaced = await model.forward!({
      inputs: { ids: [ids] },
      positions: [positions],
      interventions: [{ kind: "replaceResidual", layer, values: scaled }],
    });
    expect(maxRelativeError(replaced.logits.data, plain.logits.data)).toBeGreaterThan(1e-2);
  });

  it("refuses bad shapes, bad layers, gradients before the replaced layer and taps, with INVALID_INPUT", async () => {
    const values = await residualAt(1, 1);
    const objective: GradientObjective = {
      kind: "stepFunction",
      stepFunction: "probability",
      positions: [positions[0]!],
      targetIds: [targets[0]!],
    };
    const attempts = [
      model.forward!({
        inputs: { ids: [ids, ids] },
        interventions: [{ kind: "replaceResidual", layer: 1, values }],
      }),
      model.forward!({
        inputs: { ids: [ids] },
        interventions: [{ kind: "replaceResidual", layer: model.info.numLayers, values }],
      }),
      model.forward!({
        inputs: { ids: [ids] },
        taps: { attention: true },
        interventions: [{ kind: "replaceResidual", layer: 1, values }],
      }),
      model.gradients!({
        inputs: { ids: [ids] },
        objective,
        interventions: [{ kind: "replaceResidual", layer: 1, values }],
      }),
      model.gradients!({
        inputs: { ids: [ids] },
        objective,
        wrt: { kind: "residual", layer: 0 },
        interventions: [{ kind: "replaceResidual", layer: 1, values }],
      }),
    ];
    for (const attempt of attempts) {
      const error = await attempt.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isTokenscopeError(error) && error.code).toBe("INVALID_INPUT");
    }
  });
});
