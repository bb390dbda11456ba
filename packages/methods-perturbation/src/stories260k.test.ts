import { fileURLToPath } from "node:url";
import { attribute, type LanguageModel, methodRegistry, registerCoreBuiltins } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { occlusion } from "./occlusion.ts";
import { reagent } from "./reagent.ts";

// The real model beside the repository (never copied into it).
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
const story = "Once upon a time there was a little girl named Lily. She loved to play. One day,";

let model: LanguageModel;
beforeAll(async () => {
  registerCoreBuiltins();
  for (const method of [occlusion, reagent])
    if (!methodRegistry.has(method.id)) methodRegistry.register(method);
  model = await loadModel(stories);
});
afterAll(() => model.dispose?.());

function softmaxAt(logits: ArrayLike<number>, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return Math.exp(logits[id]! - max) / sum;
}

describe("forward-only methods on stories260K", () => {
  it("occlusion with defaults (Inseq's) equals |f(x) − f(x with UNK at s)|, not normalised", async () => {
    // No `normalize`: the method's own default (none, as Inseq) applies.
    const result = await attribute(model, "Once upon a time", { method: "occlusion", target: ", there" });
    const sequence = result.sequences[0]!;
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const unk = model.info.specialTokens.unk!;
    const probability = async (prefix: number[], target: number) => {
      const { logits } = await model.forward!({
        inputs: { ids: [prefix] },
        positions: [[prefix.length - 1]],
      });
      return softmaxAt(logits.data, target);
    };
    let negatives = 0;
    for (let step = 0; step < sequence.target.length; step++) {
      const prefix = ids.slice(0, sequence.source.length + step);
      const target = ids[prefix.length]!;
      const original = await probability(prefix, target);
      const row = sequence.sourceAttributions[step]!;
      expect(row[0]).toBe(0); // BOS is left alone by default
      for (let s = 1; s < sequence.source.length; s++) {
        const occluded = prefix.map((id, position) => (position === s ? unk : id));
        const drop = original - (await probability(occluded, target));
        if (drop < 0) negatives++;
        expect(row[s]).toBeCloseTo(Math.abs(drop), 5);
      }
      // Raw probability changes: a step's scores do not sum to 1.
      const sum = row.reduce((total: number, value) => total + (value ?? 0), 0);
      expect(Math.abs(sum - 1)).toBeGreaterThan(1e-3);
    }
    expect(negatives).toBeGreaterThan(0);
  });

  it("occlusion as Captum's (baseline zero, signed) equals the drop in target probability, computed independently", async () => {
    const result = await attribute(model, "Once upon a time", {
      method: "occlusion",
      parameters: { baseline: "zero", abs: false, include_special: true },
      target: ", there",
      normalize: false,
    });
    const sequence = result.sequences[0]!;
    const ids = [...sequence.source, ...sequence.target].map((token) => token.id!);
    const hidden = model.info.hiddenSize;
    for (let step = 0; step < sequence.target.length; step++) {
      const position = sequence.source.length + step - 1;
      const prefix = ids.slice(0, position + 1);
      const target = ids[position + 1]!;
      const embeddings = await model.embed!([prefix]);
      const probability = async (data: Float32Array) => {
        const { logits } = await model.forward!({
          inputs: { embeddings: { data, dims: embeddings.dims } },
          positions: [[position]],
        });
        return softmaxAt(logits.data, target);
      };
      const original = await probability(embeddings.data as Float32Array);
      for (let s = 0; s < sequence.source.length; s++) {
        const zeroed = Float32Array.from(embeddings.data);
        zeroed.fill(0, s * hidden, (s + 1) * hidden);
        const expected = original - (await probability(zeroed));
        expect(sequence.sourceAttributions[step]![s]).toBeCloseTo(expected, 5);
      }
    }
  });

  it("ReAGent is deterministic with a seed and ranks the copied name in its top 3", async () => {
    const run = () =>
      attribute(model, story, {
        method: "reagent",
        parameters: { seed: 3 },
        target: " Lily",
        normalize: false,
      });
    const first = await run();
    const second = await run();
    expect(second.sequences[0]!.sourceAttributions).toEqual(first.sequences[0]!.sourceAttributions);
    const sequence = first.sequences[0]!;
    const row = sequence.sourceAttributions[sequence.target.length - 1]!;
    const ranked = row
      .map((score, index) => ({
        score: score ?? Number.NEGATIVE_INFINITY,
        text: sequence.source[index]!.text,
      }))
      .sort((a, b) => b.score - a.score);
    expect(ranked.slice(0, 3).map((entry) => entry.text.trim())).toContain("Lily");
  });
});
