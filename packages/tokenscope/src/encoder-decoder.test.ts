import { fileURLToPath } from "node:url";
import { loadModel } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attribute, type LanguageModel, registerBuiltins } from "./index.ts";

// Attribution on a real encoder-decoder (aren-transliteration): forward-only methods and step scores
// through rows laid out [source | target] with sourceLengths, against direct forward passes.
const aren = fileURLToPath(new URL("../../../../shared/models/aren-transliteration", import.meta.url));
const readme = [-0.106023, -0.06541, -0.056003, -0.447953, -0.230714, -0.092184, -0.063464];

describe("attribute() on aren-transliteration", () => {
  let model: LanguageModel;
  beforeAll(async () => {
    registerBuiltins();
    model = await loadModel(aren);
  });
  afterAll(() => model?.dispose?.());

  /** p(target[t]) with the source ids as given, from one direct forward pass. */
  async function probability(source: number[], target: number[], t: number): Promise<number> {
    const { logits } = await model.forward!({
      inputs: { ids: [[...source, ...target.slice(0, t)]], sourceLengths: [source.length] },
      positions: [[source.length - 1 + t]],
    });
    const row = Array.from(logits.data);
    const max = Math.max(...row);
    return Math.exp(row[target[t]!]! - max) / row.reduce((sum, x) => sum + Math.exp(x - max), 0);
  }

  it("generates atzmon, scores it as the README, and occlusion equals direct forward passes", async () => {
    const result = await attribute(model, "آتزمون", {
      method: "occlusion",
      stepScores: ["probability", "logprob"],
    });
    const sequence = result.sequences[0]!;
    expect(sequence.target.map((token) => token.text).join("")).toBe("atzmon");
    expect(sequence.source.map((token) => token.text)).toEqual(["آ", "ت", "ز", "م", "و", "ن"]);
    // The target-prefix side is off for encoder-decoders (Inseq's default): source columns only.
    expect(sequence.targetAttributions).toBeNull();
    for (const [t, value] of sequence.stepScores["logprob"]!.entries())
      expect(value).toBeCloseTo(readme[t]!, 5);
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    const unk = model.info.specialTokens.unk!;
    for (let t = 0; t < target.length; t++) {
      const full = await probability(source, target, t);
      expect(sequence.stepScores["probability"]![t]).toBeCloseTo(full, 6);
      for (let s = 0; s < source.length; s++) {
        const occluded = source.map((id, index) => (index === s ? unk : id));
        const direct = Math.abs(full - (await probability(occluded, target, t)));
        expect(sequence.sourceAttributions[t]![s], `step ${t}, source ${s}`).toBeCloseTo(direct, 6);
      }
    }
  });

  it("removal shortens the source: feature_ablation with it equals forwards without the character", async () => {
    const result = await attribute(model, "جون", {
      method: "feature_ablation",
      parameters: { baseline: "removal" },
      target: "jon",
      // feature_ablation is normalised per step by default; the raw differences are compared.
      normalize: false,
    });
    const sequence = result.sequences[0]!;
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    for (let t = 0; t < target.length; t++) {
      const full = await probability(source, target, t);
      for (let s = 0; s < source.length; s++) {
        const without = source.filter((_, index) => index !== s);
        const direct = full - (await probability(without, target, t));
        expect(sequence.sourceAttributions[t]![s], `step ${t}, source ${s}`).toBeCloseTo(direct, 6);
      }
    }
  });

  it("integrated gradients over encoder and decoder embeddings is complete within 1% (adaptive, from 64 points)", async () => {
    // The ReLU network's integrand has kinks: 64 fixed Gauss-Legendre points leave 0.3-15% here, so
    // the adaptive rule refines each step until its delta is within 1% of f(x) - f(baseline).
    const result = await attribute(model, "أحمد", {
      method: "integrated_gradients",
      parameters: { n_steps: 64, baseline: "unk", tolerance: 0.01 },
      target: "ahmad",
      keepRaw: true,
    });
    const sequence = result.sequences[0]!;
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    const unk = model.info.specialTokens.unk!;
    const raw = sequence.rawSourceAttributions!;
    const [steps, columns, hidden] = raw.dims;
    for (let t = 0; t < steps; t++) {
      let sum = 0;
      for (let i = 0; i < columns * hidden; i++) sum += raw.data[t * columns * hidden + i]!;
      // The baseline puts <unk> at every source position; the target prefix stays (not attributed).
      const delta =
        (await probability(source, target, t)) -
        (await probability(
          source.map(() => unk),
          target,
          t,
        ));
      expect(Math.abs(sum - delta), `step ${t}`).toBeLessThan(0.01 * Math.max(Math.abs(delta), 1e-3));
    }
  });

  it("saliency reads the model's gradients at the source positions, step by step", async () => {
    const result = await attribute(model, "جون", {
      method: "saliency",
      parameters: { abs: false },
      target: "jon",
      keepRaw: true,
    });
    const sequence = result.sequences[0]!;
    const source = sequence.source.map((token) => token.id!);
    const target = sequence.target.map((token) => token.id!);
    const raw = sequence.rawSourceAttributions!;
    const [, columns, hidden] = raw.dims;
    for (let t = 0; t < target.length; t++) {
      const { gradients } = await model.gradients!({
        inputs: { ids: [[...source, ...target]], sourceLengths: [source.length] },
        objective: {
          kind: "stepFunction",
          stepFunction: "probability",
          positions: [source.length - 1 + t],
          targetIds: [target[t]!],
        },
      });
      for (let i = 0; i < columns * hidden; i++) {
        expect(raw.data[t * columns * hidden + i]).toBeCloseTo(gradients.data[i]!, 6);
      }
    }
  });

  it("attention: a step's source attributions are its cross-attention (summing to 1), over the source characters", async () => {
    const result = await attribute(model, "جون", {
      method: "attention",
      target: "jon",
      attributeTarget: true,
      normalize: false,
    });
    const sequence = result.sequences[0]!;
    expect(sequence.source.map((token) => token.text)).toEqual([..."جون"]);
    expect(sequence.sourceAttributions).toHaveLength(3);
    for (const row of sequence.sourceAttributions) {
      expect(row).toHaveLength(3);
      expect(row.reduce((sum: number, value) => sum + value!, 0)).toBeCloseTo(1, 5);
    }
  });

  it("value_zeroing with separate encoder, decoder and cross selections", async () => {
    const run = (parameters: Record<string, unknown>) =>
      attribute(model, "جون", { method: "value_zeroing", target: "jon", attributeTarget: true, parameters });
    const crossOnly = await run({ encoder_zeroed_units: {}, decoder_zeroed_units: {} });
    const none = await run({ encoder_zeroed_units: {}, decoder_zeroed_units: {}, cross_zeroed_units: {} });
    const cells = (result: typeof none) =>
      result.sequences[0]!.sourceAttributions.flat().filter((value): value is number => value !== null);
    expect(cells(crossOnly)).toHaveLength(9);
    expect(cells(crossOnly).some((value) => value > 1e-3)).toBe(true);
    expect(cells(none).every((value) => value === 0)).toBe(true);
  });

  it("a target prefix starts the decoder (not the source), after a forced first token", async () => {
    const prefixed = await attribute(model, "آتزمون", { method: "occlusion", targetPrefix: "at" });
    expect(prefixed.sequences[0]!.source).toHaveLength(6);
    expect(prefixed.sequences[0]!.targetText).toBe("atzmon");
    const e = (await model.tokenize("e", { continuation: true })).tokens[0]!.id!;
    const forced = await attribute(model, "آتزمون", {
      method: "occlusion",
      generation: { forcedBosTokenId: e },
    });
    expect(forced.sequences[0]!.target[0]!.id).toBe(e);
    expect(forced.sequences[0]!.targetText.startsWith("e")).toBe(true);
    await expect(
      attribute(model, "جون", { method: "occlusion", generation: { forcedBosTokenId: 43 } }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETERS" });
  });

  it("reagent perturbs the source with source characters: scores per step sum to 1", async () => {
    const result = await attribute(model, "جون", {
      method: "reagent",
      target: "jon",
      parameters: { sampler: "uniform", num_probes: 4, max_probe_steps: 30, seed: 3 },
      normalize: false,
    });
    for (const row of result.sequences[0]!.sourceAttributions) {
      expect(row.reduce((sum: number, value) => sum + value!, 0)).toBeCloseTo(1, 6);
    }
  });
});
