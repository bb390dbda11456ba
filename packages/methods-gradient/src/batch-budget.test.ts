import type { LanguageModel } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateRowBytes, rowsPerCall } from "./batch-budget.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { saliency } from "./saliency.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

function countingModel(seed: number) {
  const model = createToyModel({ seed });
  const batches: number[] = [];
  const counted: LanguageModel = {
    ...model,
    gradients: (request) => {
      batches.push(request.objective.positions.length);
      return model.gradients!(request);
    },
  };
  return { model: counted, batches };
}

describe("batching under a memory budget", () => {
  it("sends every step of a sequence in one gradient call when it fits", async () => {
    const { model, batches } = countingModel(7);
    const sequence = await sequenceOf(model, "the cat", " sat on");
    await runMethod(saliency, model, sequence);
    expect(batches).toEqual([7]);
    batches.length = 0;
    await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 10 } });
    // 7 steps × (10 points + the two ends of the path).
    expect(batches).toEqual([84]);
  });

  it("splits batches to stay under the budget, with the same attributions", async () => {
    const { model, batches } = countingModel(7);
    const sequence = await sequenceOf(model, "the cat", " sat on");
    const rowBytes = estimateRowBytes(model.info, sequence.source.length + sequence.target.length);
    const whole = await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 10 } });
    batches.length = 0;
    const split = await runMethod(integratedGradients, model, sequence, {
      parameters: { n_steps: 10 },
      memoryBudgetBytes: 5 * rowBytes,
    });
    expect(batches).toEqual([...new Array(16).fill(5), 4]);
    split.source.data.forEach((value, i) => {
      expect(value).toBeCloseTo(whole.source.data[i]!, 14);
    });
  });

  it("estimates more rows for a smaller sequence and at least one row for any budget", () => {
    const { info } = createToyModel();
    expect(rowsPerCall(info, 10, 1)).toBe(1);
    expect(rowsPerCall(info, 10, 2 ** 20)).toBeGreaterThan(rowsPerCall(info, 40, 2 ** 20));
  });
});
