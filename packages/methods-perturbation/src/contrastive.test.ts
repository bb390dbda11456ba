import { fileURLToPath } from "node:url";
import type { ForwardRequest, LanguageModel, MethodSequence, Token } from "@tokenscope/core";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featureAblation } from "./feature-ablation.ts";
import { methods } from "./index.ts";
import { lime } from "./lime.ts";
import { contextFor, countForwardCalls, softmaxProbability } from "./models.test-helpers.ts";
import { occlusion } from "./occlusion.ts";
import { reagent } from "./reagent.ts";
import { shapleyValues } from "./shapley-values.ts";
import { stepTasks } from "./shared/step-tasks.ts";

// Contrastive attribution on a real model, checked against the definition computed here with direct
// forward calls: f(perturbed) = step function(logits of the perturbed input, logits of the contrast
// input perturbed the same way at the shared prompt positions).

const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
const prompt = "Once upon a time, there was a little girl";

let model: LanguageModel;
let source: Token[];
beforeAll(async () => {
  model = await loadModel(stories);
  source = (await model.tokenize(prompt)).tokens;
});
afterAll(() => model.dispose?.());

const idsOf = (tokens: readonly Token[]) => tokens.map((token) => token.id!);

/** `text`'s tokens as a continuation of `after` (without the lone "▁" piece sentencepiece puts first). */
async function continuation(text: string, after: Token[]): Promise<Token[]> {
  const pieces = (await model.tokenize(text, { addSpecialTokens: false })).tokens;
  const ids = idsOf(pieces.filter((piece, index) => index > 0 || piece.text !== ""));
  return (await model.decodeTokens(ids, { after: idsOf(after) })).tokens;
}

/** Contrast index per target step, last tokens aligned (earlier steps clamp to the first). */
function rightAligned(targetLength: number, contrastLength: number): number[] {
  return Array.from({ length: targetLength }, (_, t) =>
    Math.min(contrastLength - 1, Math.max(0, t + contrastLength - targetLength)),
  );
}

async function sharedContrastSequence(target: string, contrast: string): Promise<MethodSequence> {
  const targetTokens = await continuation(target, source);
  const contrastTokens = await continuation(contrast, source);
  return {
    source,
    target: targetTokens,
    steps: targetTokens.map((_, t) => t),
    contrast: {
      source,
      sharesSource: true,
      target: contrastTokens,
      alignment: rightAligned(targetTokens.length, contrastTokens.length),
    },
  };
}

type Baseline = "unk" | "removal" | "zero";

/** One input perturbed by hand: `absent` positions replaced by UNK, removed, or their embeddings zeroed. */
async function logitsOf(ids: number[], absent: number[], baseline: Baseline): Promise<Float32Array> {
  const read = async (request: ForwardRequest) => (await model.forward!(request)).logits.data as Float32Array;
  if (baseline === "zero") {
    const embedded = await model.embed!([ids]);
    const hidden = embedded.dims[2]!;
    const data = Float32Array.from(embedded.data);
    for (const position of absent) data.fill(0, position * hidden, (position + 1) * hidden);
    return read({
      inputs: { embeddings: { data, dims: [1, ids.length, hidden] } },
      positions: [[ids.length - 1]],
    });
  }
  const row =
    baseline === "unk"
      ? ids.map((id, position) => (absent.includes(position) ? model.info.specialTokens.unk! : id))
      : ids.filter((_, position) => !absent.includes(position));
  return read({ inputs: { ids: [row] }, positions: [[row.length - 1]] });
}

function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]!);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v]! - max);
  const normalizer = max + Math.log(sum);
  return Float64Array.from(logits, (value) => value - normalizer);
}

/** KL(P‖Q) in nats, float64, from two float32 logit vectors (kl_divergence without filtering). */
function klDivergence(logits: ArrayLike<number>, contrastLogits: ArrayLike<number>): number {
  const logP = logSoftmax(logits);
  const logQ = logSoftmax(contrastLogits);
  let value = 0;
  for (let v = 0; v < logP.length; v++) value += Math.exp(logP[v]!) * (logP[v]! - logQ[v]!);
  return value;
}

type Side = { logits: Float32Array; targetId: number };
type StepValue = (original: Side, contrast: Side) => number;
const probDiff: StepValue = (original, contrast) =>
  softmaxProbability(original.logits, original.targetId) -
  softmaxProbability(contrast.logits, contrast.targetId);
const kl: StepValue = (original, contrast) => klDivergence(original.logits, contrast.logits);

/**
 * f(full) − f(one feature absent), per step, for every source token but BOS and every target-prefix
 * token: the original input loses the token; the contrast input loses it too when it is a prompt
 * token and the contrast shares the prompt, and is never touched otherwise.
 */
async function expectedScores(sequence: MethodSequence, value: StepValue, baseline: Baseline) {
  const S = sequence.source.length;
  const ids = idsOf([...sequence.source, ...sequence.target]);
  const contrast = sequence.contrast!;
  const rows: { source: number[]; target: number[] }[] = [];
  for (const t of sequence.steps) {
    const original = ids.slice(0, S + t);
    const aligned = contrast.alignment[t]!;
    const contrastIds = idsOf([...contrast.source, ...contrast.target.slice(0, aligned)]);
    const targetId = ids[S + t]!;
    const contrastTargetId = contrast.target[aligned]!.id!;
    const f = async (absent: number[]) => {
      const contrastAbsent = contrast.sharesSource ? absent.filter((position) => position < S) : [];
      return value(
        { logits: await logitsOf(original, absent, baseline), targetId },
        { logits: await logitsOf(contrastIds, contrastAbsent, baseline), targetId: contrastTargetId },
      );
    };
    const full = await f([]);
    const row = { source: [0], target: [] as number[] };
    for (let s = 1; s < S; s++) row.source.push(full - (await f([s])));
    for (let u = 0; u < t; u++) row.target.push(full - (await f([S + u])));
    rows.push(row);
  }
  return rows;
}

/** The method's scores equal the expected ones within 1e-6 of the attributed function's scale. */
function expectScores(
  output: { source: { data: ArrayLike<number> }; target?: { data: ArrayLike<number> } },
  sequence: MethodSequence,
  expected: { source: number[]; target: number[] }[],
  scale: number,
) {
  const S = sequence.source.length;
  const T = sequence.target.length;
  let largest = 0;
  let worst = 0;
  sequence.steps.forEach((t, index) => {
    const { source: sourceRow, target: targetRow } = expected[index]!;
    sourceRow.forEach((score, s) => {
      largest = Math.max(largest, Math.abs(score));
      worst = Math.max(worst, Math.abs(output.source.data[t * S + s]! - score));
    });
    targetRow.forEach((score, u) => {
      largest = Math.max(largest, Math.abs(score));
      worst = Math.max(worst, Math.abs(output.target!.data[t * T + u]! - score));
    });
  });
  // Not all zeros: the check compares real differences.
  expect(largest).toBeGreaterThan(1e-4);
  expect(worst).toBeLessThanOrEqual(1e-6 * scale);
}

describe("contrastive attribution with perturbation methods (stories260K)", () => {
  it("a contrast identical to the target (identity alignment) gives exactly 0 for occlusion and feature_ablation", async () => {
    const target = await continuation(" named Lily. She", source);
    const sequence: MethodSequence = {
      source,
      target,
      steps: target.map((_, t) => t),
      contrast: { source, sharesSource: true, target, alignment: target.map((_, t) => t) },
    };
    for (const [method, parameters] of [
      [occlusion, { abs: false, include_special: true }],
      [featureAblation, { include_special: true }],
    ] as const) {
      const [output] = await method.run(
        contextFor(model, [sequence], {
          attributedFunction: { id: "contrast_prob_diff", parameters: {} },
          attributeTarget: true,
          parameters,
        }),
      );
      expect([...output!.source.data].every((value) => value === 0)).toBe(true);
      const prefix = [...output!.target!.data].filter((value) => !Number.isNaN(value));
      expect(prefix).toHaveLength((target.length * (target.length - 1)) / 2);
      expect(prefix.every((value) => value === 0)).toBe(true);
      expect(output!.stepScores!["contrast_prob_diff"]).toEqual(target.map(() => 0));
    }
  });

  for (const baseline of ["unk", "removal", "zero"] as const) {
    it(`occlusion ("${baseline}") of contrast_prob_diff with a longer, different contrast equals f(full) − f(perturbed) from direct forwards`, async () => {
      const sequence = await sharedContrastSequence(" named Lily. She", " who loved to play");
      expect(sequence.target).toHaveLength(4);
      expect(sequence.contrast!.target).toHaveLength(7);
      const [output] = await occlusion.run(
        contextFor(model, [sequence], {
          attributedFunction: { id: "contrast_prob_diff", parameters: {} },
          attributeTarget: true,
          parameters: { baseline, abs: false },
        }),
      );
      const expected = await expectedScores(sequence, probDiff, baseline);
      expectScores(output!, sequence, expected, 1);
    });
  }

  it("a contrast source (another prompt) is never perturbed, and its logits are computed once per step", async () => {
    const target = await continuation(" named Lily. She", source);
    const contrastSource = (await model.tokenize("Once upon a time, there was a little boy")).tokens;
    const contrastTarget = await continuation(" named Lily. She", contrastSource);
    const sequence: MethodSequence = {
      source,
      target,
      steps: target.map((_, t) => t),
      contrast: {
        source: contrastSource,
        sharesSource: false,
        target: contrastTarget,
        alignment: target.map((_, t) => t),
      },
    };
    const counted = countForwardCalls(model);
    const [output] = await occlusion.run(
      contextFor(counted.model, [sequence], {
        attributedFunction: { id: "contrast_prob_diff", parameters: {} },
        attributeTarget: true,
        parameters: { abs: false },
      }),
    );
    expectScores(output!, sequence, await expectedScores(sequence, probDiff, "unk"), 1);
    // One contrast row per step, then each step's full input and its occluded ones (no BOS).
    const S = source.length;
    const perturbed = target.reduce((rows, _, t) => rows + 1 + (S - 1) + t, 0);
    expect(counted.rowsPerCall.reduce((a, b) => a + b, 0)).toBe(target.length + perturbed);
  });

  it("kl_divergence: feature_ablation equals KL(perturbed ‖ contrast perturbed the same way) from direct forwards", async () => {
    const sequence = await sharedContrastSequence(" named Lily. She", " who loved to play");
    const [output] = await featureAblation.run(
      contextFor(model, [sequence], {
        attributedFunction: { id: "kl_divergence", parameters: {} },
        attributeTarget: true,
      }),
    );
    const expected = await expectedScores(sequence, kl, "zero"); // feature_ablation's default baseline
    expectScores(output!, sequence, expected, 10);
  });

  it("shapley_values (words, zero baseline) add up to f(full) − f(every feature absent on both sides)", async () => {
    // Step 1: nine prompt words and one target word, 2^10 coalitions.
    const step = 1;
    const sequence = {
      ...(await sharedContrastSequence(" named Lily. She", " who loved to play")),
      steps: [step],
    };
    const [output] = await shapleyValues.run(
      contextFor(model, [sequence], {
        attributedFunction: { id: "contrast_prob_diff", parameters: {} },
        attributeTarget: true,
        parameters: { features: "word" },
      }),
    );
    const S = source.length;
    const T = sequence.target.length;
    // The step's word features (BOS is in none); each token of a word carries the word's score.
    const [task] = stepTasks(
      { sequences: [sequence], attributeTarget: true },
      { units: { kind: "word", owner: "test" }, includeSpecial: false },
    );
    const scoreAt = (position: number) =>
      position < S
        ? output!.source.data[step * S + position]!
        : output!.target!.data[step * T + position - S]!;
    const total = task!.features.reduce((sum, feature) => sum + scoreAt(feature[0]!), 0);
    expect(task!.features.flat().sort((a, b) => a - b)).toEqual(
      Array.from({ length: S + step - 1 }, (_, k) => k + 1),
    );
    const ids = idsOf([...source, ...sequence.target]).slice(0, S + step);
    const aligned = sequence.contrast!.alignment[step]!;
    const contrastIds = idsOf([...source, ...sequence.contrast!.target.slice(0, aligned)]);
    const side = async (input: number[], absent: number[], targetId: number) => ({
      logits: await logitsOf(input, absent, "zero"),
      targetId,
    });
    const f = async (absent: number[]) =>
      probDiff(
        await side(ids, absent, sequence.target[step]!.id!),
        await side(
          contrastIds,
          absent.filter((position) => position < S),
          sequence.contrast!.target[aligned]!.id!,
        ),
      );
    const everything = Array.from({ length: S + step - 1 }, (_, k) => k + 1);
    expect(Math.abs(total - ((await f([])) - (await f(everything))))).toBeLessThan(1e-6);
  });

  it("every method that evaluates the attributed function declares contrastive support; value_zeroing does not", () => {
    expect(methods.filter((method) => method.supports.contrastive).map((method) => method.id)).toEqual([
      "occlusion",
      "feature_ablation",
      "lime",
      "shapley_values",
      "shapley_value_sampling",
      "kernel_shap",
      "reagent",
    ]);
  });

  it("kl_divergence with lime and reagent: finite scores that differ from non-contrastive ones", async () => {
    const sequence = await sharedContrastSequence(" named Lily. She", " who loved to play");
    const run = async (
      method: typeof lime | typeof reagent,
      id: string,
      parameters: Record<string, unknown>,
    ) => {
      const [output] = await method.run(
        contextFor(model, [sequence], { attributedFunction: { id, parameters: {} }, parameters }),
      );
      return [...output!.source.data];
    };
    for (const [method, parameters] of [
      [lime, { n_samples: 60, seed: 3 }],
      [reagent, { max_probe_steps: 8, num_probes: 4, seed: 3, sampler: "uniform" }],
    ] as const) {
      const contrastive = await run(method, "kl_divergence", parameters);
      const plain = await run(method, "probability", parameters);
      expect(contrastive.every(Number.isFinite), method.id).toBe(true);
      expect(contrastive, method.id).not.toEqual(plain);
    }
  });

  it("reagent sends each update input's prompt replacements to the contrast input beside it", async () => {
    const sequence = {
      ...(await sharedContrastSequence(" named Lily. She", " who loved to play")),
      steps: [2],
    };
    const S = source.length;
    const contrastIds = idsOf([
      ...source,
      ...sequence.contrast!.target.slice(0, sequence.contrast!.alignment[2]!),
    ]);
    const rows: number[][] = [];
    const recording: LanguageModel = {
      ...model,
      forward: async (request) => {
        if ("ids" in request.inputs)
          request.inputs.ids.forEach((row, b) => {
            const mask = request.inputs.attentionMask?.[b];
            rows.push(mask ? row.slice(0, mask.indexOf(0) < 0 ? row.length : mask.indexOf(0)) : row);
          });
        return model.forward!(request);
      },
    };
    const [output] = await reagent.run(
      contextFor(recording, [sequence], {
        attributedFunction: { id: "contrast_prob_diff", parameters: {} },
        parameters: { max_probe_steps: 6, num_probes: 3, seed: 1, sampler: "uniform" },
      }),
    );
    expect([...output!.source.data.subarray(2 * S, 3 * S)].every(Number.isFinite)).toBe(true);
    // Original rows hold S + 2 tokens, contrast rows S + 5: each contrast row follows its row, with
    // that row's prompt (replacements included) and the contrast tokens after it.
    const contrastRows = rows.flatMap((row, index) => (row.length === contrastIds.length ? [index] : []));
    expect(contrastRows.length).toBeGreaterThan(1);
    let perturbedPrompts = 0;
    for (const index of contrastRows) {
      const original = rows[index - 1]!;
      expect(original).toHaveLength(S + 2);
      expect(rows[index]!.slice(0, S)).toEqual(original.slice(0, S));
      expect(rows[index]!.slice(S)).toEqual(contrastIds.slice(S));
      if (original.slice(0, S).some((id, position) => id !== source[position]!.id)) perturbedPrompts++;
    }
    expect(perturbedPrompts).toBeGreaterThan(0);
  });
});
