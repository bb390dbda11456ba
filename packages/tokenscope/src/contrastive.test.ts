import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AttributionModel, attribute, getStepFunction, load, unknownToken } from "./index.ts";

// Contrastive attribution through attribute() on stories260K, every method family, against direct
// forward passes of the model itself.
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

describe("contrastive attribution on stories260K", () => {
  let model: AttributionModel;
  beforeAll(async () => {
    model = await load(stories);
  });
  afterAll(() => model?.dispose());

  const ids = async (text: string, special: boolean) =>
    (await model.model.tokenize(text, { addSpecialTokens: special, continuation: !special })).tokens.map(
      (token) => token.id!,
    );
  const logitsAfter = async (prefix: number[]) => {
    const { logits } = await model.model.forward!({
      inputs: { ids: [prefix] },
      positions: [[prefix.length - 1]],
    });
    return Float64Array.from(logits.data);
  };

  it("a contrast target equal to the target gives exact zeros: saliency, integrated gradients, occlusion", async () => {
    for (const method of ["saliency", "integrated_gradients", "occlusion"]) {
      const result = await attribute(model.model, "Once upon a time", {
        method,
        ...(method === "integrated_gradients" ? { parameters: { n_steps: 4 } } : {}),
        target: " there was a girl",
        contrastTargets: " there was a girl",
        attributedFunction: "contrast_prob_diff",
        stepScores: ["contrast_prob_diff", "kl_divergence"],
        keepRaw: true,
      });
      const sequence = result.sequences[0]!;
      expect(
        Array.from(sequence.rawSourceAttributions!.data).every((value) => value === 0),
        method,
      ).toBe(true);
      expect(
        sequence.stepScores["contrast_prob_diff"]!.every((value) => value === 0),
        method,
      ).toBe(true);
      expect(
        sequence.stepScores["kl_divergence"]!.every((value) => value === 0),
        method,
      ).toBe(true);
    }
  });

  it("contrast_prob with the context as contrast source equals probability on the full context (Inseq's test)", async () => {
    const contrastive = await attribute(model.model, "the little girl went", {
      target: " to the park.",
      contrastSources: "One day it was sunny and the little girl went",
      stepScores: ["contrast_prob"],
    });
    const regular = await attribute(model.model, "One day it was sunny and the little girl went", {
      target: " to the park.",
      stepScores: ["probability"],
      attributedFunction: "logprob",
    });
    const a = contrastive.sequences[0]!.stepScores["contrast_prob"]!;
    const b = regular.sequences[0]!.stepScores["probability"]!;
    expect(a).toHaveLength(b.length);
    for (const [t, value] of a.entries()) expect(value).toBeCloseTo(b[t]!, 7);
  });

  it("kl_divergence (top_k, top_p), pcxmi and in_context_pvi equal direct computations from two forward passes", async () => {
    const prompt = "Lily was sad. Her mom gave her a";
    const contextless = "Her mom gave her a";
    const target = " big hug and a kiss";
    const result = await attribute(model.model, prompt, {
      method: "saliency",
      target,
      contrastSources: contextless,
      stepScores: [
        { id: "kl_divergence", parameters: { top_k: 10 } },
        "pcxmi",
        "in_context_pvi",
        "contrast_prob_diff",
      ],
    });
    const topP = await attribute(model.model, prompt, {
      target,
      contrastSources: contextless,
      stepScores: [{ id: "kl_divergence", parameters: { top_p: 0.8 } }],
    });
    const source = await ids(prompt, true);
    const contrastSource = await ids(contextless, true);
    const targetIds = result.sequences[0]!.target.map((token) => token.id!);
    for (let t = 0; t < targetIds.length; t++) {
      const logits = await logitsAfter([...source, ...targetIds.slice(0, t)]);
      const contrastLogits = await logitsAfter([...contrastSource, ...targetIds.slice(0, t)]);
      const input = { logits, contrastLogits, targetId: targetIds[t]! };
      const expect6 = (id: string, parameters: Record<string, unknown>, actual: number | null | undefined) =>
        expect(actual, `${id} at step ${t}`).toBeCloseTo(
          getStepFunction(id).evaluate({ ...input, parameters }, false).value,
          6,
        );
      const scores = result.sequences[0]!.stepScores;
      expect6("kl_divergence", { top_k: 10, top_p: 1, min_tokens_to_keep: 1 }, scores["kl_divergence"]![t]);
      expect6(
        "kl_divergence",
        { top_k: 0, top_p: 0.8, min_tokens_to_keep: 1 },
        topP.sequences[0]!.stepScores["kl_divergence"]![t],
      );
      // By hand: P-CXMI = log2 q(y | contextless) − log2 p(y | prompt); PVI the same in nats.
      const logp = (v: Float64Array, id: number) => {
        const max = Math.max(...v);
        return v[id]! - (max + Math.log(v.reduce((sum, x) => sum + Math.exp(x - max), 0)));
      };
      const pvi = logp(contrastLogits, targetIds[t]!) - logp(logits, targetIds[t]!);
      expect(scores["in_context_pvi"]![t]).toBeCloseTo(pvi, 6);
      expect(scores["pcxmi"]![t]).toBeCloseTo(pvi / Math.LN2, 6);
      expect(scores["contrast_prob_diff"]![t]).toBeCloseTo(
        Math.exp(logp(logits, targetIds[t]!)) - Math.exp(logp(contrastLogits, targetIds[t]!)),
        6,
      );
    }
  });

  it("occlusion of contrast_prob_diff with a different contrast target equals direct forwards of both sides", async () => {
    const prompt = "Once upon a time";
    const result = await attribute(model.model, prompt, {
      method: "occlusion",
      // Signed, so a unit against the preference shows as such (the default is |Δ|, as Inseq).
      parameters: { abs: false },
      target: " there was a",
      contrastTargets: " a little",
      attributedFunction: "contrast_prob_diff",
      attributeTarget: false,
    });
    const sequence = result.sequences[0]!;
    const source = await ids(prompt, true);
    const targetIds = sequence.target.map((token) => token.id!);
    const contrastIds = sequence.contrast!.target.map((token) => token.id!);
    // The token occlusion writes by default (unk, else pad, else EOS, as Inseq).
    const unk = unknownToken(model.info.specialTokens)!.id;
    const f = async (prompted: number[], t: number) => {
      const a = sequence.contrast!.alignment[t]!;
      const softmaxAt = (v: Float64Array, id: number) => {
        const max = Math.max(...v);
        return Math.exp(v[id]! - max) / v.reduce((sum, x) => sum + Math.exp(x - max), 0);
      };
      const p = softmaxAt(await logitsAfter([...prompted, ...targetIds.slice(0, t)]), targetIds[t]!);
      const q = softmaxAt(await logitsAfter([...prompted, ...contrastIds.slice(0, a)]), contrastIds[a]!);
      return p - q;
    };
    for (let t = 0; t < targetIds.length; t++) {
      const full = await f(source, t);
      for (let s = 1; s < source.length; s++) {
        const occluded = source.map((id, index) => (index === s ? unk : id));
        const direct = full - (await f(occluded, t));
        expect(sequence.sourceAttributions[t]![s], `step ${t}, token ${s}`).toBeCloseTo(direct, 5);
      }
    }
  });
});
