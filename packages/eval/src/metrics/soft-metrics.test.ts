import type { AttributionResult, LanguageModel } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateResult } from "../evaluate/evaluate-result.ts";
import { type NoiseRequest, type NoiseSource, seededNoise } from "./noise.ts";
import { loadStories, storiesResult } from "./stories.test-helpers.ts";

let model: LanguageModel;
let result: AttributionResult;
beforeAll(async () => {
  model = await loadStories();
  result = await storiesResult(model, { newTokens: 4 });
});
afterAll(() => model.dispose?.());

/** Memoised noise: the evaluator and the reference get the very same uniforms for a request. */
function sharedNoise(seed: number): NoiseSource {
  const base = seededNoise(seed);
  const cache = new Map<string, ArrayLike<number>>();
  return (request: NoiseRequest) => {
    const key = JSON.stringify(request);
    if (!cache.has(key)) cache.set(key, base(request));
    return cache.get(key)!;
  };
}

// ---- A line-by-line re-implementation of ReAGent's evaluators, in plain loops. ----

async function nextTokenProbabilities(embeddings: Float32Array, length: number): Promise<number[]> {
  const hidden = model.info.hiddenSize;
  const { logits } = await model.forward!({
    inputs: { embeddings: { data: embeddings, dims: [1, length, hidden] } },
  });
  const vocab = model.info.vocabSize;
  const last: number[] = [];
  for (let v = 0; v < vocab; v++) last.push(logits.data[(length - 1) * vocab + v]!); // logits[:, L - 1, :]
  const max = Math.max(...last);
  const exps = last.map((value) => Math.exp(value - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum); // torch.softmax(..., -1)
}

/** get_metric of SoftSufficiencyEvaluator / SoftComprehensivenessEvaluator: Σ (√p − √q)² / √2. */
function distance(p: number[], q: number[]): number {
  let sum = 0;
  for (let v = 0; v < p.length; v++) sum += (Math.sqrt(p[v]!) - Math.sqrt(q[v]!)) ** 2 / Math.sqrt(2);
  return sum;
}

/** BaseMaskingEvaluator.mask_zero_embedding: keep element iff rand < ratio of its token. */
function maskZeroEmbedding(
  embedding: Float32Array,
  ratio: number[],
  uniforms: ArrayLike<number>,
  hidden: number,
) {
  const masked = new Float32Array(embedding.length);
  for (let position = 0; position < ratio.length; position++) {
    for (let d = 0; d < hidden; d++) {
      const index = position * hidden + d;
      masked[index] = uniforms[index]! < ratio[position]! ? embedding[index]! : 0;
    }
  }
  return masked;
}

interface ReferenceStep {
  soft_suff: number;
  soft_comp: number;
  soft_ns: number;
  soft_nc: number;
}

async function reagentReference(
  step: number,
  importance: number[],
  noise: NoiseSource,
  source: "attribution" | "random",
  sample: number,
): Promise<ReferenceStep> {
  const sequence = result.sequences[0]!;
  const inputIds = [...sequence.source, ...sequence.target.slice(0, step)].map((token) => token.id!);
  const length = inputIds.length;
  const hidden = model.info.hiddenSize;
  const inputWte = (await model.embed!([inputIds])).data as Float32Array;
  const probOriginal = await nextTokenProbabilities(inputWte, length);
  const request = (purpose: NoiseRequest["purpose"]) => ({
    purpose,
    importance: source,
    sequence: 0,
    step,
    sample,
    length: length * hidden,
  });
  // SoftSufficiencyEvaluator: feature_masking_ratio = importance_scores.
  const suffMasked = maskZeroEmbedding(inputWte, importance, noise(request("sufficiency-mask")), hidden);
  const softSufficiency = 1 - distance(await nextTokenProbabilities(suffMasked, length), probOriginal);
  // SoftComprehensivenessEvaluator: feature_masking_ratio = 1 - importance_scores.
  const compMasked = maskZeroEmbedding(
    inputWte,
    importance.map((w) => 1 - w),
    noise(request("comprehensiveness-mask")),
    hidden,
  );
  const softComprehensiveness = distance(await nextTokenProbabilities(compMasked, length), probOriginal);
  // SufficiencyEvaluator(rationale_ratio=0): top_k = int(0 * L) = 0, binary rational mask all zeros.
  const zeroMasked = new Float32Array(inputWte.length);
  const sufficiency0 = 1 - distance(await nextTokenProbabilities(zeroMasked, length), probOriginal);
  return {
    soft_suff: softSufficiency,
    soft_comp: softComprehensiveness,
    soft_ns: Math.max(0, softSufficiency - sufficiency0) / (1 - sufficiency0),
    soft_nc: softComprehensiveness / (1 - sufficiency0),
  };
}

function stepImportance(step: number): number[] {
  const sequence = result.sequences[0]!;
  const row = [
    ...sequence.sourceAttributions[step]!,
    ...sequence.targetAttributions![step]!.slice(0, step),
  ] as number[];
  const total = row.reduce((sum, value) => sum + Math.abs(value), 0);
  return row.map((value) => value / total);
}

function randomImportanceReference(
  noise: NoiseSource,
  step: number,
  sample: number,
  units: number,
): number[] {
  const uniforms = Array.from(
    noise({ purpose: "random-importance", importance: "random", sequence: 0, step, sample, length: units }),
  );
  const exps = uniforms.map((value) => Math.exp(value)); // torch.softmax(torch.rand(size), dim=1)
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

const ids = ["soft_ns", "soft_nc", "soft_suff", "soft_comp"] as const;

describe("soft-NS / soft-NC on stories260K", () => {
  it("equal a line-by-line re-implementation of ReAGent's evaluators with the same masks (1e-6), for the attribution and the random baseline", async () => {
    const noise = sharedNoise(11);
    const report = await evaluateResult(result, model, { metrics: [...ids], noise, batchSize: 5 });
    const steps = report.sequences[0]!.steps;
    expect(steps).toHaveLength(4);
    const references: ReferenceStep[] = [];
    const randomReferences: ReferenceStep[] = [];
    for (const row of steps) {
      const importance = stepImportance(row.step);
      const reference = await reagentReference(row.step, importance, noise, "attribution", 0);
      const random = randomImportanceReference(noise, row.step, 0, importance.length);
      const randomReference = await reagentReference(row.step, random, noise, "random", 0);
      references.push(reference);
      randomReferences.push(randomReference);
      for (const id of ids) {
        expect(Math.abs((row[id] as number) - reference[id])).toBeLessThan(1e-6);
        expect(Math.abs((row[`rand_${id}`] as number) - randomReference[id])).toBeLessThan(1e-6);
      }
      expect(row).not.toHaveProperty("soft_ns_se"); // one sample: no standard error
    }
    // Sequence level: means over steps, and ReAGent's log(Σ soft-NS / Σ rand soft-NS).
    const sequence = report.sequences[0]!.sequence;
    for (const id of ids) {
      const mean = references.reduce((sum, reference) => sum + reference[id], 0) / references.length;
      expect(Math.abs(sequence[id]! - mean)).toBeLessThan(1e-6);
      const ratio =
        references.reduce((s, r) => s + r[id], 0) / randomReferences.reduce((s, r) => s + r[id], 0);
      if (ratio > 0 && Number.isFinite(ratio))
        expect(Math.abs(sequence[`log_ratio_${id}`]! - Math.log(ratio))).toBeLessThan(1e-5);
      else expect(sequence[`log_ratio_${id}`]).toBeNull();
    }
    // The values are real: not all clipped, and comprehensiveness above the random baseline's range.
    expect(references.some((reference) => reference.soft_ns > 0)).toBe(true);
    expect(references.every((reference) => reference.soft_nc > 0)).toBe(true);
  });

  it("with several samples reports the mean of the per-sample reference values and its standard error", async () => {
    const noise = sharedNoise(5);
    const samples = 3;
    const report = await evaluateResult(result, model, {
      metrics: ["soft_ns", "soft_nc"],
      noise,
      samples,
      batchSize: 16,
    });
    const row = report.sequences[0]!.steps[2]!;
    const importance = stepImportance(row.step);
    for (const id of ["soft_ns", "soft_nc"] as const) {
      const values: number[] = [];
      for (let sample = 0; sample < samples; sample++)
        values.push((await reagentReference(row.step, importance, noise, "attribution", sample))[id]);
      const mean = values.reduce((a, b) => a + b, 0) / samples;
      const se = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (samples - 1) / samples);
      expect(Math.abs((row[id] as number) - mean)).toBeLessThan(1e-6);
      expect(Math.abs((row[`${id}_se`] as number) - se)).toBeLessThan(1e-6);
    }
  });

  it("Monte Carlo means converge: the standard error shrinks as 1/√n and means at n = 64 and n = 256 agree", async () => {
    const oneStep = {
      ...result,
      sequences: [
        {
          ...result.sequences[0]!,
          sourceAttributions: result.sequences[0]!.sourceAttributions.map((row, t) =>
            t === 3 ? row : row.map(() => null),
          ),
          targetAttributions: result.sequences[0]!.targetAttributions!.map((row, t) =>
            t === 3 ? row : row.map(() => null),
          ),
        },
      ],
    };
    const at = async (samples: number) =>
      (
        await evaluateResult(oneStep, model, {
          metrics: ["soft_ns", "soft_nc", "soft_suff"],
          samples,
          seed: 1,
          batchSize: 64,
        })
      ).sequences[0]!.steps[0]!;
    const small = await at(64);
    const large = await at(256);
    // The standard error scales as 1/√n: √(256/64) = 2, within the noise of the standard-deviation estimates.
    // (Soft-NC's per-sample values are heavy-tailed on this model, so only its means are compared.)
    for (const id of ["soft_ns", "soft_suff", "rand_soft_ns", "rand_soft_suff"]) {
      const ratio = (small[`${id}_se`] as number) / (large[`${id}_se`] as number);
      expect(ratio).toBeGreaterThan(1.4);
      expect(ratio).toBeLessThan(2.8);
    }
    for (const id of ["soft_ns", "soft_nc", "soft_suff", "rand_soft_ns", "rand_soft_nc", "rand_soft_suff"]) {
      const seSmall = small[`${id}_se`] as number;
      const seLarge = large[`${id}_se`] as number;
      expect(seSmall).toBeGreaterThan(0);
      expect(Math.abs((small[id] as number) - (large[id] as number))).toBeLessThan(
        4 * Math.hypot(seSmall, seLarge),
      );
    }
  });

  it("the random baseline is reproducible with a seed and changes with it", async () => {
    const run = (seed: number) => evaluateResult(result, model, { metrics: ["soft_nc"], seed, batchSize: 8 });
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(a).toEqual(b);
    const column = (report: typeof a) => report.sequences[0]!.steps.map((step) => step.rand_soft_nc);
    expect(column(a)).not.toEqual(column(c));
  });
});
