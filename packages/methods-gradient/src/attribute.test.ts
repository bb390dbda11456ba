import {
  attribute,
  type LanguageModel,
  registerStepFunction,
  type StepFunction,
  smallestBudgetBytes,
  stepFunctionRegistry,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { estimateRowBytes } from "./batch-budget.ts";
import {
  finiteDifferenceGradient,
  inputEmbeddings,
  objectiveAt,
  registerAll,
} from "./testing.test-helpers.ts";

/** probability re-implemented as a user-defined step function: softmax(logits)[target], gradient p (e_target − p). */
const myProbability: StepFunction<Record<string, never>> = {
  id: "my_probability",
  summary: "test",
  description: "test",
  unit: "probability",
  differentiable: true,
  parameters: z.strictObject({}),
  evaluate({ logits, targetId }, withGradient) {
    const max = Math.max(...logits);
    const exps = Float64Array.from(logits, (logit) => Math.exp(logit - max));
    const total = exps.reduce((a, b) => a + b, 0);
    const value = exps[targetId]! / total;
    if (!withGradient) return { value };
    const gradient = new Float64Array(logits.length);
    for (let v = 0; v < logits.length; v++)
      gradient[v] = value * ((v === targetId ? 1 : 0) - exps[v]! / total);
    return {
      value,
      gradLogits: (logits instanceof Float32Array ? Float32Array.from(gradient) : gradient) as typeof logits,
    };
  },
};

const model = createToyModel({ seed: 7 });

beforeAll(() => {
  registerAll();
  registerStepFunction(myProbability);
});
afterAll(() => {
  stepFunctionRegistry.unregister(myProbability.id);
});

function maxDifference(a: (number | null)[][] | null, b: (number | null)[][] | null): number {
  let worst = 0;
  a?.forEach((row, t) => {
    row.forEach((value, s) => {
      const other = b?.[t]?.[s];
      if ((value === null) !== (other === null || other === undefined)) worst = Number.POSITIVE_INFINITY;
      else if (value !== null) worst = Math.max(worst, Math.abs(value - other!));
    });
  });
  return worst;
}

describe("attribute() with gradient methods", () => {
  it("generates, attributes with saliency over prompt and earlier targets and normalises the L2 norms over both (Inseq's default)", async () => {
    const result = await attribute(model, "the cat", {
      generation: { maxNewTokens: 3 },
      stepScores: ["probability"],
    });
    const sequence = result.sequences[0]!;
    const promptIds = sequence.source.map((token) => token.id!);
    expect(sequence.target.map((token) => token.id)).toEqual(
      (await model.generate!(promptIds, { maxNewTokens: 3 })).ids,
    );
    expect(result.info.method).toEqual({ id: "saliency", parameters: { abs: true } });
    expect(sequence.aggregation.map((record) => record.id)).toEqual(["l2", "normalize"]);
    const hidden = model.info.hiddenSize;
    const methodSequence = { source: sequence.source, target: sequence.target, steps: [0, 1, 2] };
    for (let t = 0; t < 3; t++) {
      const gradient = await finiteDifferenceGradient(model, methodSequence, t);
      const norm = (position: number) =>
        Math.hypot(...gradient.subarray(position * hidden, (position + 1) * hidden));
      const prompt = sequence.source.length;
      // Inseq's decoder-only layout: the step's prefix is the prompt and the targets before t.
      const norms = Array.from({ length: prompt + t }, (_, position) => norm(position));
      const total = norms.reduce((a, b) => a + b, 0);
      for (let s = 0; s < prompt; s++)
        expect(sequence.sourceAttributions[t]![s]).toBeCloseTo(norms[s]! / total, 6);
      for (let u = 0; u < 3; u++) {
        const cell = sequence.targetAttributions![t]![u];
        if (u < t) expect(cell).toBeCloseTo(norms[prompt + u]! / total, 6);
        else expect(cell).toBeNull();
      }
      const input = await inputEmbeddings(model, methodSequence);
      expect(sequence.stepScores["probability"]![t]).toBeCloseTo(
        await objectiveAt(model, methodSequence, t, input),
        12,
      );
    }
  });

  it("attributes a forced target with integrated gradients: signed sums match f(x) − f(x′) − delta", async () => {
    const result = await attribute(model, "a dog", {
      method: "integrated_gradients",
      parameters: { n_steps: 32 },
      target: " ran",
      attributeTarget: true,
      aggregate: ["sum"],
      normalize: false,
      keepRaw: true,
      stepScores: ["probability", "entropy"],
    });
    const sequence = result.sequences[0]!;
    expect(sequence.rawSourceAttributions?.dims).toEqual([4, 6, model.info.hiddenSize]);
    expect(result.info.method.parameters).toMatchObject({
      n_steps: 32,
      method: "gausslegendre",
      baseline: "unk",
    });
    const baselineScores = sequence.extras["baselineScores"] as number[];
    for (let t = 0; t < 4; t++) {
      const row = [...sequence.sourceAttributions[t]!, ...sequence.targetAttributions![t]!];
      const total = row.reduce<number>((sum, value) => sum + (value ?? 0), 0);
      const change = sequence.stepScores["probability"]![t]! - baselineScores[t]!;
      expect(total).toBeCloseTo(change + sequence.stepScores["deltas"]![t]!, 12);
      expect(Math.abs(sequence.stepScores["deltas"]![t]!)).toBeLessThan(0.01 * Math.abs(change));
      // Causality: nothing from target tokens at or after the step.
      expect(sequence.targetAttributions![t]!.slice(t).every((cell) => cell === null)).toBe(true);
      expect(sequence.stepScores["entropy"]![t]).toBeGreaterThan(0);
    }
  });

  it("attributes only a range of steps, from the same gradients as a full run", async () => {
    const full = await attribute(model, "the cat", { target: " sat on", attributeTarget: true });
    const part = await attribute(model, "the cat", {
      target: " sat on",
      attributeTarget: true,
      steps: { start: 2, end: 5 },
    });
    const sequence = part.sequences[0]!;
    expect(sequence.sourceAttributions.map((row) => row.every((cell) => cell === null))).toEqual([
      true,
      true,
      false,
      false,
      false,
      true,
      true,
    ]);
    for (const t of [2, 3, 4]) {
      expect(
        maxDifference([sequence.sourceAttributions[t]!], [full.sequences[0]!.sourceAttributions[t]!]),
      ).toBeLessThan(1e-12);
    }
  });

  for (const method of ["saliency", "input_x_gradient", "integrated_gradients"]) {
    it(`${method}: attributing prompts together equals each alone`, async () => {
      const options = {
        method,
        parameters: method === "integrated_gradients" ? { n_steps: 8 } : {},
        attributeTarget: true,
      };
      const prompts = ["the cat sat", "a dog"];
      const targets = [" on it", " ran far."];
      const together = await attribute(model, prompts, {
        ...options,
        target: targets,
        stepScores: ["probability"],
      });
      const generated = await attribute(model, prompts, { ...options, generation: { maxNewTokens: 4 } });
      for (let index = 0; index < prompts.length; index++) {
        const alone = await attribute(model, prompts[index]!, {
          ...options,
          target: targets[index]!,
          stepScores: ["probability"],
        });
        const [a, b] = [together.sequences[index]!, alone.sequences[0]!];
        expect(maxDifference(a.sourceAttributions, b.sourceAttributions)).toBeLessThanOrEqual(1e-6);
        expect(maxDifference(a.targetAttributions, b.targetAttributions)).toBeLessThanOrEqual(1e-6);
        expect(a.stepScores).toEqual(b.stepScores);
        const generatedAlone = await attribute(model, prompts[index]!, {
          ...options,
          generation: { maxNewTokens: 4 },
        });
        expect(
          maxDifference(
            generated.sequences[index]!.sourceAttributions,
            generatedAlone.sequences[0]!.sourceAttributions,
          ),
        ).toBeLessThanOrEqual(1e-6);
      }
    });
  }

  it("gives the same attributions for a user-defined step function as for the built-in it re-implements", async () => {
    for (const method of ["saliency", "integrated_gradients"]) {
      const options = {
        method,
        target: " sat",
        attributeTarget: true,
        keepRaw: true,
        parameters: method === "saliency" ? {} : { n_steps: 16 },
      };
      const builtin = await attribute(model, "the cat", { ...options, attributedFunction: "probability" });
      const custom = await attribute(model, "the cat", { ...options, attributedFunction: "my_probability" });
      expect(custom.info.attributedFunction).toEqual({ id: "my_probability", parameters: {} });
      const a = builtin.sequences[0]!.rawSourceAttributions!.data;
      const b = custom.sequences[0]!.rawSourceAttributions!.data;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(1e-12);
      expect(
        maxDifference(builtin.sequences[0]!.targetAttributions, custom.sequences[0]!.targetAttributions),
      ).toBeLessThan(1e-12);
    }
  });

  it("reports progress per gradient call and stops with ABORTED between calls", async () => {
    // The toy model with the memory estimate of a deep one, so that a valid budget (at least 1 MiB)
    // carries one row per call: one row of "<s>the cat sat" (12 tokens) needs just over 1 MiB.
    let numLayers = 1;
    while (estimateRowBytes({ ...model.info, numLayers }, 12) <= 2 ** 20) numLayers++;
    const deep: LanguageModel = { ...model, info: { ...model.info, numLayers } };
    const budget = smallestBudgetBytes(estimateRowBytes(deep.info, 12));
    expect(2 * estimateRowBytes(deep.info, 12)).toBeGreaterThan(budget);
    const phases: string[] = [];
    await attribute(deep, "the cat", {
      method: "integrated_gradients",
      parameters: { n_steps: 4 },
      target: " sat",
      memoryBudgetBytes: budget,
      onProgress: (event) => phases.push(`${event.phase} ${event.completed}/${event.total}`),
    });
    // Said up front (0/24), then one row per call: 4 steps × (4 points + 2 ends).
    const own = phases.filter((phase) => phase.startsWith("integrated_gradients"));
    expect(own).toHaveLength(25);
    expect(own[0]).toBe("integrated_gradients 0/24");
    expect(phases.at(-1)).toBe("integrated_gradients 24/24");
    const controller = new AbortController();
    let calls = 0;
    await expect(
      attribute(deep, "the cat", {
        target: " sat",
        memoryBudgetBytes: budget,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === "saliency" && ++calls === 2) controller.abort("enough");
        },
      }),
    ).rejects.toMatchObject({ code: "ABORTED" });
    expect(calls).toBe(2);
  });

  it("reports typed errors for gradient methods", async () => {
    await expect(
      attribute(model, "abc", { target: "x", attributedFunction: "top_p_size" }),
    ).rejects.toMatchObject({
      code: "NOT_DIFFERENTIABLE",
    });
    const valueOnly = { ...myProbability, id: "my_value_only", differentiable: false };
    registerStepFunction(valueOnly);
    await expect(
      attribute(model, "abc", { target: "x", attributedFunction: "my_value_only" }),
    ).rejects.toMatchObject({
      code: "NOT_DIFFERENTIABLE",
    });
    stepFunctionRegistry.unregister(valueOnly.id);
    const noGradients: LanguageModel = {
      ...model,
      capabilities: new Set(["tokenize", "forward", "generate"] as const),
    };
    await expect(
      attribute(noGradients, "abc", { target: "x", method: "integrated_gradients" }),
    ).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
      message: /"embed"|"gradients"/,
    });
    await expect(
      attribute(model, "abc", { target: "x", method: "integrated_gradients", parameters: { n_steps: 0 } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS", message: /n_steps/ });
    await expect(
      attribute(model, "abc", { target: "x", method: "integrated_gradient" }),
    ).rejects.toMatchObject({
      code: "UNKNOWN_ID",
      message: /integrated_gradients/,
    });
  });
});
