import { fileURLToPath } from "node:url";
import {
  type AttributionMethod,
  type Capability,
  isTokenscopeError,
  type LanguageModel,
  type MethodSequence,
  smallestBudgetBytes,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methods } from "../index.ts";
import { contextFor, toySequence } from "../models.test-helpers.ts";
import { valueZeroing } from "../value-zeroing.ts";
import { rowBytes, rowsWithinBudget, valueZeroingRowBytes } from "./memory-budget.ts";

const MiB = 2 ** 20;
const stories260kDir = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));

describe("rows of a forward call under a memory budget", () => {
  const { info } = createToyModel();
  const shape = { length: 40, logitPositions: 1, embeddings: false };

  it("keeps batch_size without a budget, and lowers it to what the budget holds", () => {
    expect(rowsWithinBudget(info, shape, 64, undefined, "occlusion")).toBe(64);
    expect(rowsWithinBudget(info, shape, 64, 3 * rowBytes(info, shape), "occlusion")).toBe(3);
    expect(rowsWithinBudget(info, shape, 2, 3 * rowBytes(info, shape), "occlusion")).toBe(2);
  });

  it("refuses a row over the budget instead of sending it anyway (the defect: at least one row)", () => {
    expect(() => rowsWithinBudget(info, shape, 64, rowBytes(info, shape) - 1, "occlusion")).toThrow(
      /Method "occlusion": one forward row of 40 tokens needs about 1 MiB \(estimated\), more than the memory budget/,
    );
  });

  it("grows with the attention scores of the length squared, and with the logits returned", () => {
    const stories = { ...info, hiddenSize: 64, numLayers: 5, numHeads: 8, vocabSize: 512 };
    const at = (length: number, logitPositions = 1) =>
      rowBytes(stories, { length, logitPositions, embeddings: false });
    expect(at(1000) / at(500)).toBeGreaterThan(3.5);
    expect(at(500, 500) - at(500)).toBe(8 * 499 * 512);
    expect(valueZeroingRowBytes(stories, 500, 5) - at(500)).toBe(8 * 5 * 500 * 64);
  });
});

/** `model` with every call that runs it counted, declaring `extra` capabilities besides its own. */
function counting(model: LanguageModel, extra: Capability[] = []) {
  const calls: string[] = [];
  const counted: LanguageModel = {
    ...model,
    capabilities: new Set([...model.capabilities, ...extra]),
    forward: (request) => {
      calls.push("forward");
      return model.forward!(request);
    },
    embed: (ids) => {
      calls.push("embed");
      return model.embed!(ids);
    },
  };
  return { model: counted, calls };
}

/** What each method is run with: small enough for the toy model (exact Shapley takes 12 features). */
const parametersOf: Record<string, Record<string, unknown>[]> = {
  occlusion: [{}, { baseline: "zero" }],
  feature_ablation: [{ baseline: "mean" }],
  lime: [{ n_samples: 20 }],
  shapley_values: [{}],
  shapley_value_sampling: [{ n_samples: 4 }],
  kernel_shap: [{ samples: 20 }],
  reagent: [
    { sampler: "uniform", max_probe_steps: 2 },
    { sampler: "model", max_probe_steps: 2 },
  ],
};

async function refusal(
  run: () => Promise<unknown>,
): Promise<{ message: string; details: Record<string, unknown> }> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
  return error as { message: string; details: Record<string, unknown> };
}

describe("a row that cannot fit the budget stops a perturbation run before any model call", () => {
  const toy = createToyModel({ seed: 5 });
  let short: MethodSequence;
  let long: MethodSequence;
  beforeAll(async () => {
    // The short sequence first: it fits, the long one does not; checking only the sequence at hand
    // would run the first and stop half way.
    short = await toySequence(toy, "ab", " c");
    long = await toySequence(toy, "the cat sat", " on");
  });

  for (const method of methods as AttributionMethod<unknown>[]) {
    if (method.id === "value_zeroing") continue;
    for (const parameters of parametersOf[method.id]!) {
      it(`${method.id} ${JSON.stringify(parameters)}: refused, then run at the budget it names`, async () => {
        const { model, calls } = counting(toy);
        const budget = 2 * rowBytes(toy.info, { length: 4, logitPositions: 1, embeddings: false });
        const error = await refusal(() =>
          method.run(contextFor(model, [short, long], { parameters, memoryBudgetBytes: budget })),
        );
        // The longest row: BOS, "the cat sat" and " o", the input of the last step (14 tokens).
        expect(error.message).toMatch(
          new RegExp(`^Method "${method.id}": one forward row of 14 tokens needs about`),
        );
        expect(error.message).toContain("nothing was run");
        expect(calls).toEqual([]);

        const smallest = error.details["smallestBudgetBytes"] as number;
        expect(smallest).toBe(smallestBudgetBytes(error.details["rowBytes"] as number));
        const outputs = await method.run(
          contextFor(model, [short, long], { parameters, memoryBudgetBytes: smallest }),
        );
        expect(outputs).toHaveLength(2);
        expect(calls).toContain("forward");
      });
    }
  }
});

describe("value_zeroing under a memory budget", () => {
  let stories: LanguageModel;
  let short: MethodSequence;
  let long: MethodSequence;
  beforeAll(async () => {
    stories = await loadModel(stories260kDir);
    short = await toySequence(stories, "One day", " she ran");
    long = await toySequence(stories, "Once upon a time, there was a little girl named Lily", " who");
  }, 60_000);
  afterAll(() => stories.dispose?.());

  it("is refused before any model call, then runs at the budget it names", async () => {
    const { model, calls } = counting(stories);
    const lengths = [short, long].map((sequence) => sequence.source.length + sequence.target.length);
    const budget = valueZeroingRowBytes(stories.info, lengths[0]!, stories.info.numLayers) + 1;
    expect(budget).toBeLessThan(valueZeroingRowBytes(stories.info, lengths[1]!, stories.info.numLayers));
    const parameters = { batch_size: 64 };
    const error = await refusal(() =>
      valueZeroing.run(contextFor(model, [short, long], { parameters, memoryBudgetBytes: budget })),
    );
    expect(error.message).toMatch(/^Method "value_zeroing": one forward row of \d+ tokens needs about/);
    expect(calls).toEqual([]);
    const smallest = error.details["smallestBudgetBytes"] as number;
    const budgeted = await valueZeroing.run(
      contextFor(model, [short, long], { parameters, memoryBudgetBytes: smallest }),
    );
    const free = await valueZeroing.run(contextFor(stories, [short, long], { parameters }));
    expect(Array.from(budgeted[1]!.source.data)).toEqual(Array.from(free[1]!.source.data));
    expect(smallest).toBeGreaterThanOrEqual(MiB);
  });
});
