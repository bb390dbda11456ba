import type { AttributionResult, LanguageModel } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateResult } from "../evaluate/evaluate-result.ts";
import { loadStories, storiesResult } from "./stories.test-helpers.ts";
import { createWeightModel, TARGET } from "./weight-model.test-helpers.ts";

/** p(5) of the weight model for a total weight c. */
const p = (c: number) => (1 + c) / (6 + c);

// Source BOS, 2, 3, 4 (weights 0, 1, 2, 4), importance 0.1, 0.2, 0.3, 0.4: the order is 4, 3, 2, BOS.
function weightResult(): AttributionResult {
  const sequence = makeSequence({
    source: [
      { text: "<s>", id: 1, span: null, special: true },
      { text: "a", id: 2 },
      { text: "b", id: 3 },
      { text: "c", id: 4 },
    ],
    target: [{ text: "t", id: TARGET }],
    sourceAttributions: [[0.1, 0.2, 0.3, 0.4]],
    targetAttributions: [[null]],
  });
  return makeResult([sequence], { modelId: "weight-model" });
}

describe("comp@k, suff@k and AOPC on a model known in closed form", () => {
  const model = createWeightModel();
  const full = p(7);

  it("equal the hand-computed values (unk baseline, curve over every unit)", async () => {
    const report = await evaluateResult(weightResult(), model, {
      metrics: ["comp", "suff", "aopc"],
      k: [0.25, 0.5, 1],
    });
    const step = report.sequences[0]!.steps[0]!;
    // comp@0.25 erases the top unit (weight 4): c = 3; comp@0.5 the top two: c = 1; comp@1 all: c = 0.
    expect(step["comp@0.25"]).toBeCloseTo(full - p(3), 12);
    expect(step["comp@0.5"]).toBeCloseTo(full - p(1), 12);
    expect(step["comp@1"]).toBeCloseTo(full - p(0), 12);
    // suff@0.25 keeps only the weight-4 unit: c = 4; suff@0.5 keeps 4 and 2: c = 6; suff@1 keeps all.
    expect(step["suff@0.25"]).toBeCloseTo(full - p(4), 12);
    expect(step["suff@0.5"]).toBeCloseTo(full - p(6), 12);
    expect(step["suff@1"]).toBeCloseTo(0, 12);
    // Deletion: c = 7, 3, 1, 0, 0 after erasing 0..4 units; insertion: c = 0, 4, 6, 7, 7 after keeping 0..4.
    const deletion = [7, 3, 1, 0, 0].map((c) => full - p(c));
    const insertion = [0, 4, 6, 7, 7].map((c) => p(c) - p(0));
    expect(step.aopc_deletion).toBeCloseTo(deletion.reduce((a, b) => a + b) / 5, 12);
    expect(step.aopc_insertion).toBeCloseTo(insertion.reduce((a, b) => a + b) / 5, 12);
    expect(report.sequences[0]!.sequence["comp@0.5"]).toBeCloseTo(full - p(1), 12);
  });

  it("⌊k·n⌋ units as ReAGent: k = 0.2 of 4 units erases none", async () => {
    const step = (await evaluateResult(weightResult(), model, { metrics: ["comp@0.2", "suff@0.2"] }))
      .sequences[0]!.steps[0]!;
    expect(step["comp@0.2"]).toBe(0);
    expect(step["suff@0.2"]).toBeCloseTo(full - p(0), 12);
    expect(Object.keys(step)).toEqual([
      "step",
      "target",
      "comp@0.2",
      "rand_comp@0.2",
      "suff@0.2",
      "rand_suff@0.2",
    ]);
  });

  it('AOPC over the k bins with curve: "k"', async () => {
    const step = (
      await evaluateResult(weightResult(), model, { metrics: ["aopc"], k: [0.25, 0.5], curve: "k" })
    ).sequences[0]!.steps[0]!;
    expect(step.aopc_deletion).toBeCloseTo((full - p(3) + full - p(1)) / 2, 12);
    expect(step.aopc_insertion).toBeCloseTo((p(4) - p(0) + p(6) - p(0)) / 2, 12);
  });

  it("the zero embedding and a given baseline id replace erased units", async () => {
    const zero = (await evaluateResult(weightResult(), model, { metrics: ["comp@0.25"], baseline: "zero" }))
      .sequences[0]!.steps[0]!;
    expect(zero["comp@0.25"]).toBeCloseTo(full - p(3), 12);
    // Id 2 weighs 1: erasing the weight-4 unit with it leaves c = 4.
    const id = (await evaluateResult(weightResult(), model, { metrics: ["comp@0.25"], baseline: { id: 2 } }))
      .sequences[0]!.steps[0]!;
    expect(id["comp@0.25"]).toBeCloseTo(full - p(4), 12);
  });

  it("the random baseline ranks units by softmax noise and is reproducible with a seed", async () => {
    const run = (seed: number) =>
      evaluateResult(weightResult(), model, { metrics: ["comp"], k: [0.25], samples: 8, seed });
    const a = (await run(3)).sequences[0]!.steps[0]!;
    expect(a).toEqual((await run(3)).sequences[0]!.steps[0]!);
    expect(a["rand_comp@0.25"]).not.toEqual((await run(4)).sequences[0]!.steps[0]!["rand_comp@0.25"]);
    // One random unit erased: its mean lies between erasing BOS (0) and erasing the weight-4 unit.
    expect(a["rand_comp@0.25"] as number).toBeGreaterThanOrEqual(0);
    expect(a["rand_comp@0.25"] as number).toBeLessThan(full - p(3));
    expect(a["rand_comp@0.25_se"]).toBeGreaterThan(0);
    expect(a).not.toHaveProperty("comp@0.25_se"); // the attribution's erasure is deterministic
  });
});

describe("comp@k, suff@k and AOPC on stories260K", () => {
  let stories: LanguageModel;
  let result: AttributionResult;
  beforeAll(async () => {
    stories = await loadStories();
    result = await storiesResult(stories, { newTokens: 3, prompt: "Once upon a time there was a little" });
  });
  afterAll(() => stories.dispose?.());

  async function probability(ids: number[], target: number): Promise<number> {
    const { logits } = await stories.forward!({ inputs: { ids: [ids] } });
    const vocab = stories.info.vocabSize;
    const last = Array.from(logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab));
    const max = Math.max(...last);
    const sum = last.reduce((total, value) => total + Math.exp(value - max), 0);
    return Math.exp(last[target]! - max) / sum;
  }

  it("agree with direct forward passes (1e-5)", async () => {
    const k = [0.1, 0.3, 0.5];
    const report = await evaluateResult(result, stories, {
      metrics: ["comp", "suff", "aopc"],
      k,
      batchSize: 7,
    });
    const sequence = result.sequences[0]!;
    const unk = stories.info.specialTokens.unk!;
    for (const row of report.sequences[0]!.steps) {
      const t = row.step;
      const ids = [...sequence.source, ...sequence.target.slice(0, t)].map((token) => token.id!);
      const target = sequence.target[t]!.id!;
      const scores = [
        ...sequence.sourceAttributions[t]!,
        ...sequence.targetAttributions![t]!.slice(0, t),
      ] as number[];
      const ranked = scores
        .map((score, position) => ({ score, position }))
        .sort((a, b) => b.score - a.score)
        .map((entry) => entry.position);
      const erase = (positions: number[]) =>
        ids.map((id, position) => (positions.includes(position) ? unk : id));
      const full = await probability(ids, target);
      for (const fraction of k) {
        const count = Math.floor(fraction * ids.length + 1e-9);
        const comp = full - (await probability(erase(ranked.slice(0, count)), target));
        const suff = full - (await probability(erase(ranked.slice(count)), target));
        expect(Math.abs((row[`comp@${fraction}`] as number) - comp)).toBeLessThan(1e-5);
        expect(Math.abs((row[`suff@${fraction}`] as number) - suff)).toBeLessThan(1e-5);
      }
      let deletion = 0;
      let insertion = 0;
      const empty = await probability(erase(ranked), target);
      for (let j = 0; j <= ids.length; j++) {
        deletion += full - (await probability(erase(ranked.slice(0, j)), target));
        insertion += (await probability(erase(ranked.slice(j)), target)) - empty;
      }
      expect(Math.abs((row.aopc_deletion as number) - deletion / (ids.length + 1))).toBeLessThan(1e-5);
      expect(Math.abs((row.aopc_insertion as number) - insertion / (ids.length + 1))).toBeLessThan(1e-5);
    }
  });
});
