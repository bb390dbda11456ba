import {
  type AttributionMethod,
  isTokenscopeError,
  type LanguageModel,
  type MethodContext,
  type MethodSequence,
  parseParameters,
  smallestBudgetBytes,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MEMORY_BUDGET_BYTES,
  estimateRecomputeRowBytes,
  estimateRowBytes,
  gradientRowsPerCall,
} from "./batch-budget.ts";
import { methods } from "./index.ts";
import { integratedGradients } from "./integrated-gradients.ts";
import { createLayeredModel } from "./layered-model.test-helpers.ts";
import { saliency } from "./saliency.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

const MiB = 2 ** 20;

/** `model` with every call counted: `gradients` rows per call, and forward and embed calls. */
function counting(model: LanguageModel) {
  const batches: number[] = [];
  const calls: string[] = [];
  const counted: LanguageModel = {
    ...model,
    gradients: (request) => {
      calls.push("gradients");
      batches.push(request.objective.positions.length);
      return model.gradients!(request);
    },
    forward: (request) => {
      calls.push("forward");
      return model.forward!(request);
    },
  };
  return { model: counted, batches, calls };
}

describe("batching under a memory budget", () => {
  it("sends every step of a sequence in one gradient call when it fits", async () => {
    const { model, batches } = counting(createToyModel({ seed: 7 }));
    const sequence = await sequenceOf(model, "the cat", " sat on");
    await runMethod(saliency, model, sequence);
    expect(batches).toEqual([7]);
    batches.length = 0;
    await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 10 } });
    // 7 steps × (10 points + the two ends of the path).
    expect(batches).toEqual([84]);
  });

  it("splits batches to stay under the budget, with the same attributions", async () => {
    const { model, batches } = counting(createToyModel({ seed: 7 }));
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

  it("estimates fewer rows for a longer sequence, and refuses a row over the budget", () => {
    const { info } = createToyModel();
    expect(gradientRowsPerCall(info, 10, MiB)).toBeGreaterThan(gradientRowsPerCall(info, 40, MiB));
    expect(gradientRowsPerCall(info, 10, estimateRowBytes(info, 10))).toBe(1);
    // The defect: at least one row whatever the budget, so a 64 MiB budget once used 421 MB.
    expect(() => gradientRowsPerCall(info, 10, estimateRowBytes(info, 10) - 1)).toThrow(
      /more than the memory budget/,
    );
    // No budget: the default's batching, never a refusal.
    expect(gradientRowsPerCall(info, 100_000)).toBe(1);
  });

  it("grows with every layer's attention and with the sequence squared", () => {
    const info = { ...createToyModel().info, numLayers: 5, numHeads: 8, hiddenSize: 64, vocabSize: 512 };
    // stories260K at 485 tokens: about 113 MiB, of which 5 × 2 × 8 × 485² float32 probabilities.
    expect(estimateRowBytes(info, 485) / MiB).toBeCloseTo(112.3, 1);
    expect(estimateRowBytes(info, 970) / estimateRowBytes(info, 485)).toBeGreaterThan(3.5);
  });
});

describe("recomputing layer activations when held ones exceed the budget", () => {
  /** The toy model declaring `gradients.recompute`, with each call's rows and recompute flag recorded. */
  function recomputing(seed: number) {
    const toy = createToyModel({ seed });
    // Sized as a deep model, where one held row of these sequences needs several MiB and recomputing
    // saves most of it (the toy computes as it does).
    let numLayers = 1;
    while (estimateRowBytes({ ...toy.info, numLayers }, 12) <= 8 * MiB) numLayers++;
    const calls: { rows: number; recompute: boolean }[] = [];
    const model: LanguageModel = {
      ...toy,
      info: { ...toy.info, numLayers },
      capabilities: new Set([...toy.capabilities, "gradients.recompute"]),
      gradients: (request) => {
        calls.push({ rows: request.objective.positions.length, recompute: request.recompute === true });
        return toy.gradients!(request);
      },
    };
    return { model, calls };
  }

  it("asks for recompute only when one row's held activations exceed the budget, and says so up front", async () => {
    const { model, calls } = recomputing(5);
    const sequence = await sequenceOf(model, "the cat sat", " on the");
    const seq = sequence.source.length + sequence.target.length;
    const steps = sequence.target.length;
    const held = estimateRowBytes(model.info, seq);
    const recomputed = estimateRecomputeRowBytes(model.info, seq);
    expect(recomputed).toBeLessThan(held);
    const plain = await runMethod(saliency, model, sequence, { memoryBudgetBytes: steps * held });
    expect(calls).toEqual([{ rows: steps, recompute: false }]);
    calls.length = 0;

    // A budget under one held row but over two recomputed ones: it runs (it was refused before).
    const budget = Math.max(2 * recomputed, MiB);
    expect(budget).toBeLessThan(held);
    const events: { completed: number; message?: string }[] = [];
    const method = saliency as AttributionMethod<unknown>;
    const context = contextOf(method, model, [sequence], budget);
    const [output] = await method.run({ ...context, onProgress: (event) => void events.push(event) });
    const perCall = Math.floor(budget / recomputed);
    const passes = Math.ceil(steps / perCall);
    expect(calls).toHaveLength(passes);
    expect(calls.every((call) => call.recompute && call.rows <= perCall)).toBe(true);
    expect(events[0]).toMatchObject({ completed: 0 });
    expect(events[0]!.message).toContain(`${passes} gradient ${passes === 1 ? "pass" : "passes"}`);
    expect(events[0]!.message).toContain("layer activations recomputed");
    expect(events.at(-1)).toMatchObject({ completed: steps });
    // The same attributions: recompute changes how the model holds memory, not what it computes.
    output!.source.data.forEach((value, i) => {
      expect(value).toBeCloseTo(plain.source.data[i]!, 12);
    });
  });

  it("refuses a budget under one recomputed row, naming the recomputed row's size", async () => {
    const { model, calls } = recomputing(5);
    const sequence = await sequenceOf(model, "the cat sat", " on the");
    const seq = sequence.source.length + sequence.target.length;
    const recomputed = estimateRecomputeRowBytes(model.info, seq);
    const method = saliency as AttributionMethod<unknown>;
    const context = contextOf(method, model, [sequence], recomputed - 1);
    await expect(method.run(context)).rejects.toMatchObject({
      code: "INVALID_INPUT",
      details: { smallestBudgetBytes: smallestBudgetBytes(recomputed) },
    });
    expect(calls).toEqual([]);
  });

  it("keeps the default budget's batching on a model that cannot recompute", async () => {
    const toy = createToyModel({ seed: 5 });
    const sequence = await sequenceOf(toy, "the cat sat", " on the");
    const seq = sequence.source.length + sequence.target.length;
    expect(gradientRowsPerCall(toy.info, seq)).toBe(
      Math.max(1, Math.floor(DEFAULT_MEMORY_BUDGET_BYTES / estimateRowBytes(toy.info, seq))),
    );
  });
});

/** A context of `sequences` for `method` with its default parameters. */
function contextOf(
  method: AttributionMethod<unknown>,
  model: LanguageModel,
  sequences: MethodSequence[],
  memoryBudgetBytes: number,
): MethodContext<unknown> {
  return {
    model,
    parameters: parseParameters(method.parameters, {}, method.id),
    sequences,
    attributedFunction: { id: "probability", parameters: {} },
    attributeTarget: false,
    memoryBudgetBytes,
  };
}

describe("a row that cannot fit the budget stops the run before any model call", () => {
  for (const method of methods as AttributionMethod<unknown>[]) {
    it(`${method.id}: refused with the smallest budget that works, which then runs`, async () => {
      const layered = method.requires.includes("gradients.layer");
      const { model, calls } = counting(layered ? createLayeredModel(3) : createToyModel({ seed: 3 }));
      // The short sequence first: it fits, the long one does not; checking only the sequence at hand
      // would run the first and stop half way.
      const short = await sequenceOf(model, "ab", " c");
      const long = await sequenceOf(model, "the cat sat on the mat", " and");
      const longest = long.source.length + long.target.length;
      const rowBytes = estimateRowBytes(model.info, longest);
      const budget = Math.floor(estimateRowBytes(model.info, short.source.length + short.target.length) * 2);
      expect(budget).toBeLessThan(rowBytes);

      let error: unknown;
      try {
        await method.run(contextOf(method, model, [short, long], budget));
      } catch (caught) {
        error = caught;
      }
      expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain(`Method "${method.id}": one gradient row of ${longest} tokens needs about`);
      expect(message).toContain("nothing was run");
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        rowBytes: Math.ceil(rowBytes),
        smallestBudgetBytes: smallestBudgetBytes(rowBytes),
      });
      expect(calls).toEqual([]);

      // The budget the message names runs the same sequences.
      const outputs = await method.run(
        contextOf(method, model, [short, long], smallestBudgetBytes(rowBytes)),
      );
      expect(outputs).toHaveLength(2);
      expect(calls).toContain("gradients");
    });
  }
});
