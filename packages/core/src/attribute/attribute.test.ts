import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LanguageModel } from "../model/language-model.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { methodRegistry, registerMethod } from "../registry/registries.ts";
import { parseResult, serializeResult } from "../serialization/serialize.ts";
import { evaluateStepFunction } from "../step-functions/evaluate.ts";
import { probability } from "../step-functions/probability.ts";
import { createToyModel } from "../testing/toy-model.ts";
import { attribute } from "./attribute.ts";
import { createEchoMethod, echoScore, echoSource, echoTarget } from "./test-method.test-helpers.ts";

const echo = createEchoMethod();
const model = createToyModel({ seed: 3 });

beforeAll(() => {
  registerCoreBuiltins();
  registerMethod(echo.method);
});
afterAll(() => {
  methodRegistry.unregister("test_echo");
});

function rowSum(values: (number | null)[]): number {
  return values.reduce<number>((total, value) => total + Math.abs(value ?? 0), 0);
}

describe("attribute", () => {
  it("attributes a forced target and records what ran", async () => {
    const before = Date.now();
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      target: " sat",
      memoryBudgetBytes: 3 * 2 ** 20 + 12345,
    });
    const context = echo.contexts.at(-1)!;
    expect(context.memoryBudgetBytes).toBe(3 * 2 ** 20 + 12345);
    // A decoder-only model: each step is attributed over the prompt and the earlier targets (Inseq).
    expect(context.attributeTarget).toBe(true);
    expect(context.attributedFunction).toEqual({ id: "probability", parameters: { logprob: false } });
    expect(context.sequences[0]!.steps).toEqual([0, 1, 2, 3]);
    expect(result.schemaVersion).toBe(3);
    expect(result.info.model).toEqual({ id: "toy-model-seed-3", architecture: "toy-decaying-sum" });
    expect(result.info.method).toEqual({ id: "test_echo", parameters: { dims: 1 } });
    expect(result.info.attributedFunction).toEqual({ id: "probability", parameters: { logprob: false } });
    expect(Date.parse(result.info.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(result.info.durationMs).toBeGreaterThanOrEqual(0);
    const [sequence] = result.sequences;
    expect(sequence!.sourceText).toBe("the cat");
    expect(sequence!.targetText).toBe(" sat");
    expect(sequence!.source.map((token) => token.text)).toEqual(["", "t", "h", "e", " ", "c", "a", "t"]);
    expect(sequence!.target.map((token) => token.text)).toEqual([" ", "s", "a", "t"]);
    expect(sequence!.targetAttributions).toHaveLength(4);
    expect(sequence!.extras).toEqual({ note: "echo" });
    // The method's own scores are kept; the attributed function's only fill a request.
    expect(sequence!.stepScores).toEqual({ echo_extra: [1001, 1002, 1003, 1004] });
  });

  it("fills scalar attributions, normalises each step over source and target prefix, drops raw", async () => {
    const result = await attribute(model, "a dog", {
      method: "test_echo",
      target: "xyz",
      attributeTarget: true,
    });
    const sequence = result.sequences[0]!;
    expect(sequence.aggregation).toEqual([{ id: "normalize", parameters: {} }]);
    expect(sequence.rawSourceAttributions).toBeUndefined();
    const sources = sequence.source.length;
    for (let t = 0; t < 3; t++) {
      let total = 0;
      for (let s = 0; s < sources; s++) total += Math.abs(echoSource(t, s, 0));
      for (let u = 0; u < t; u++) total += Math.abs(echoTarget(t, u, 0));
      for (let s = 0; s < sources; s++) {
        expect(sequence.sourceAttributions[t]![s]).toBeCloseTo(echoSource(t, s, 0) / total, 12);
      }
      for (let u = 0; u < 3; u++) {
        const cell = sequence.targetAttributions![t]![u];
        if (u < t) expect(cell).toBeCloseTo(echoTarget(t, u, 0) / total, 12);
        else expect(cell).toBeNull();
      }
      expect(rowSum([...sequence.sourceAttributions[t]!, ...sequence.targetAttributions![t]!])).toBeCloseTo(
        1,
        12,
      );
    }
  });

  it("reduces per-dimension attributions by L2 then normalises, keeping raw tensors on request", async () => {
    const result = await attribute(model, "a dog", {
      method: "test_echo",
      parameters: { dims: 2 },
      target: "xy",
      keepRaw: true,
      normalize: false,
    });
    const sequence = result.sequences[0]!;
    expect(sequence.aggregation.map((record) => record.id)).toEqual(["l2"]);
    expect(sequence.rawSourceAttributions?.dims).toEqual([2, sequence.source.length, 2]);
    const expected = Math.hypot(echoSource(1, 2, 0), echoSource(1, 2, 1));
    expect(sequence.sourceAttributions[1]![2]).toBeCloseTo(expected, 12);
    const normalised = await attribute(model, "a dog", {
      method: "test_echo",
      parameters: { dims: 2 },
      target: "xy",
    });
    const defaults = normalised.sequences[0]!;
    expect(defaults.aggregation.map((record) => record.id)).toEqual(["l2", "normalize"]);
    expect(defaults.rawSourceAttributions).toBeUndefined();
    expect(rowSum([...defaults.sourceAttributions[1]!, ...defaults.targetAttributions![1]!])).toBeCloseTo(
      1,
      12,
    );
  });

  it("attributes over the prompt alone, normalised over it, with attributeTarget false", async () => {
    const result = await attribute(model, "a dog", {
      method: "test_echo",
      target: "xy",
      attributeTarget: false,
    });
    expect(echo.contexts.at(-1)!.attributeTarget).toBe(false);
    const sequence = result.sequences[0]!;
    expect(sequence.targetAttributions).toBeNull();
    expect(rowSum(sequence.sourceAttributions[1]!)).toBeCloseTo(1, 12);
  });

  it("keeps per-dimension attributions unreduced for an explicit empty aggregation (keep raw)", async () => {
    const result = await attribute(model, "a dog", {
      method: "test_echo",
      parameters: { dims: 3 },
      target: "xy",
      aggregate: [],
    });
    const sequence = result.sequences[0]!;
    expect(sequence.aggregation).toEqual([]);
    expect(sequence.rawSourceAttributions?.dims).toEqual([2, sequence.source.length, 3]);
    expect(sequence.rawTargetAttributions?.dims).toEqual([2, 2, 3]);
    expect(sequence.rawSourceAttributions!.data[(1 * sequence.source.length + 2) * 3 + 1]).toBeCloseTo(
      echoSource(1, 2, 1),
      6,
    );
    expect(sequence.sourceAttributions.flat().every((cell) => cell === null)).toBe(true);
  });

  it("puts l2 first when a custom aggregation starts with no dimension reducer", async () => {
    const result = await attribute(model, "a dog", {
      method: "test_echo",
      parameters: { dims: 2 },
      target: "xy",
      aggregate: [{ id: "sparsify", parameters: { topK: 2 } }],
      normalize: false,
    });
    expect(result.sequences[0]!.aggregation.map((record) => record.id)).toEqual(["l2", "sparsify"]);
    const summed = await attribute(model, "a dog", {
      method: "test_echo",
      parameters: { dims: 2 },
      target: "xy",
      aggregate: ["sum"],
      normalize: false,
    });
    // sum over dims of (1, −2) × value = −value
    expect(summed.sequences[0]!.sourceAttributions[0]![1]).toBeCloseTo(-echoSource(0, 1, 0), 12);
  });

  it("attributes only the steps in range and leaves the other rows empty", async () => {
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      target: " sat on",
      steps: { start: 2, end: 4 },
      stepScores: ["entropy"],
      attributeTarget: true,
    });
    expect(echo.contexts.at(-1)!.sequences[0]!.steps).toEqual([2, 3]);
    const sequence = result.sequences[0]!;
    expect(sequence.sourceAttributions[0]!.every((cell) => cell === null)).toBe(true);
    expect(sequence.sourceAttributions[5]!.every((cell) => cell === null)).toBe(true);
    expect(sequence.sourceAttributions[2]!.every((cell) => cell !== null)).toBe(true);
    expect(sequence.stepScores["entropy"]!.map((score) => score !== null)).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    const clamped = await attribute(model, "the cat", {
      method: "test_echo",
      target: " sat",
      steps: { start: 1, end: 99 },
    });
    expect(echo.contexts.at(-1)!.sequences[0]!.steps).toEqual([1, 2, 3]);
    expect(clamped.sequences[0]!.sourceAttributions[0]!.every((cell) => cell === null)).toBe(true);
  });

  it("reuses the method's attributed-function scores and computes the others in one forward", async () => {
    const forward = vi.spyOn(model, "forward");
    const result = await attribute(model, ["the cat", "a dog"], {
      method: "test_echo",
      target: " sat",
      stepScores: ["probability", "entropy"],
    });
    expect(forward).toHaveBeenCalledTimes(2);
    const sequence = result.sequences[1]!;
    expect(sequence.stepScores["probability"]).toEqual([0, 1, 2, 3].map(echoScore));
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const { logits } = await model.forward!({ inputs: { ids: [ids] } });
    const vocab = model.info.vocabSize;
    sequence.target.forEach((_token, t) => {
      const position = sequence.source.length + t - 1;
      const row = logits.data.subarray(position * vocab, (position + 1) * vocab);
      const entropy = -Array.from(row).reduce((total, _, v) => {
        const p = evaluateStepFunction(
          probability,
          { logits: row, targetId: v },
          { withGradient: false },
        ).value;
        return total + (p > 0 ? p * Math.log(p) : 0);
      }, 0);
      expect(sequence.stepScores["entropy"]![t]).toBeCloseTo(entropy, 12);
    });
    forward.mockRestore();
  });

  it("computes a requested score whose parameters differ from the attributed function's", async () => {
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      target: " sat",
      stepScores: [{ id: "probability", parameters: { logprob: true } }],
    });
    const scores = result.sequences[0]!.stepScores["probability"]!;
    expect(scores.every((score) => score !== null && score < 0)).toBe(true);
  });

  it("generates the target greedily, or after a prefix, with the generation settings", async () => {
    const prompt = await model.tokenize("the cat", { addSpecialTokens: true });
    const promptIds = prompt.tokens.map((token) => token.id!);
    const greedy = await model.generate!(promptIds, { maxNewTokens: 5 });
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      generation: { maxNewTokens: 5 },
    });
    expect(result.sequences[0]!.target.map((token) => token.id)).toEqual(greedy.ids);
    expect(result.sequences[0]!.targetText).toBe(greedy.text);
    expect(result.info.extra).toMatchObject({ generation: { maxNewTokens: 5 } });

    const prefixIds = (await model.tokenize(" so", { addSpecialTokens: false })).tokens.map(
      (token) => token.id!,
    );
    const continued = await model.generate!([...promptIds, ...prefixIds], { maxNewTokens: 3 });
    const prefixed = await attribute(model, "the cat", {
      method: "test_echo",
      targetPrefix: " so",
      generation: { maxNewTokens: 3 },
    });
    expect(prefixed.sequences[0]!.target.map((token) => token.id)).toEqual([...prefixIds, ...continued.ids]);

    const stopAt = greedy.ids[1]!;
    const stopped = await attribute(model, "the cat", {
      method: "test_echo",
      generation: { maxNewTokens: 5, stopTokenIds: [stopAt] },
    });
    expect(stopped.sequences[0]!.target.map((token) => token.id)).toEqual(
      greedy.ids.slice(0, greedy.ids.indexOf(stopAt) + 1),
    );
  });

  it("formats prompts with the chat template when asked", async () => {
    const chatModel: LanguageModel = {
      ...model,
      capabilities: new Set([...model.capabilities, "chatTemplate"]),
      applyChatTemplate: async (messages) => `user: ${messages[0]!.content}\nbot:`,
    };
    const result = await attribute(chatModel, "hi", {
      method: "test_echo",
      target: " yo",
      chatTemplate: true,
    });
    expect(result.sequences[0]!.sourceText).toBe("user: hi\nbot:");
    // The template writes the text; no BOS is added on top.
    expect(result.sequences[0]!.source[0]!.special).toBe(false);
  });

  it("reports progress and gives one sequence per prompt, each as it would be alone", async () => {
    const events: string[] = [];
    const both = await attribute(model, ["the cat", "a dog ran"], {
      method: "test_echo",
      target: [" sat", "!"],
      onProgress: (event) => events.push(`${event.phase} ${event.completed}/${event.total}`),
    });
    expect(events).toEqual(["prepare 1/2", "prepare 2/2"]);
    const alone = await attribute(model, "a dog ran", { method: "test_echo", target: "!" });
    expect(both.sequences[1]).toEqual(alone.sequences[0]);
  });

  it("gives results that serialize and load back", async () => {
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      parameters: { dims: 2 },
      generation: { maxNewTokens: 3 },
      attributeTarget: true,
      keepRaw: true,
      stepScores: ["probability", "top_p_size"],
      steps: { start: 1 },
    });
    const loaded = parseResult(serializeResult(result, { precision: "float64" }));
    expect(loaded.sequences[0]!.sourceAttributions).toEqual(result.sequences[0]!.sourceAttributions);
    expect(loaded.sequences[0]!.stepScores).toEqual(result.sequences[0]!.stepScores);
    expect(loaded.info.extra).toEqual(result.info.extra);
  });
});
