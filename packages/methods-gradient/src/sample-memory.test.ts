import { type LanguageModel, TokenscopeError } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { gradientShap } from "./gradient-shap.ts";
import { smoothGrad } from "./smooth-grad.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

const HIDDEN = 8192;

/**
 * The toy model made wide (8,192-dimensional embeddings), whose first gradient call records how
 * much ArrayBuffer memory the method holds by then and stops the run.
 */
function wideModel(): { model: LanguageModel; heldAtFirstCall: () => number } {
  const toy = createToyModel({ seed: 1 });
  let held = Number.NaN;
  const model: LanguageModel = {
    ...toy,
    info: { ...toy.info, hiddenSize: HIDDEN },
    embed: async (ids) => ({
      data: new Float32Array(ids.length * ids[0]!.length * HIDDEN).fill(0.5),
      dims: [ids.length, ids[0]!.length, HIDDEN],
    }),
    gradients: async () => {
      held = process.memoryUsage().arrayBuffers;
      throw new TokenscopeError("ABORTED", "stopped at the first gradient call");
    },
  };
  return { model, heldAtFirstCall: () => held };
}

describe("noise samples are drawn as their rows come up", () => {
  // 400 samples of 6 × 8,192 float64 values: drawn up front they held 157 MB (smooth_grad) and
  // 470 MB (gradient_shap: input, difference and point of each) before the first gradient call.
  for (const [method, parameters] of [
    [gradientShap, { n_samples: 400, stdevs: 0.1, baselines: "zero" }],
    [smoothGrad, { nt_samples: 400, stdevs: 0.1 }],
  ] as const) {
    it(`${method.id} holds a few samples, not all of them, when the first gradients run`, async () => {
      const { model, heldAtFirstCall } = wideModel();
      const sequence = await sequenceOf(model, "ab", "cd");
      const before = process.memoryUsage().arrayBuffers;
      await expect(
        runMethod(method as never, model, sequence, {
          parameters,
          memoryBudgetBytes: 16 * 2 ** 20,
        }),
      ).rejects.toMatchObject({ code: "ABORTED" });
      expect(heldAtFirstCall() - before).toBeLessThan(64 * 2 ** 20);
    });
  }
});
