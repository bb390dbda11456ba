import { validateResult } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { fixedPerturbation } from "../perturbation/fixed.ts";
import { attributeEndpoint } from "./attribute-endpoint.ts";
import { fakeEndpoint } from "./fake-endpoint.test-helpers.ts";

/** A "model" that answers " Paris." when the prompt mentions France, " Rome." otherwise. */
const rule = {
  decide(prompt: string) {
    const france = prompt.includes("France");
    return [
      {
        token: france ? " Paris" : " Rome",
        logprob: Math.log(0.9),
        top: [
          { token: france ? " Paris" : " Rome", logprob: Math.log(0.9) },
          { token: france ? " Rome" : " Paris", logprob: Math.log(0.05) },
        ],
      },
      { token: ".", logprob: Math.log(0.6), top: [{ token: ".", logprob: Math.log(0.6) }] },
    ];
  },
  // Teacher-forced: " Paris" is likely only after "France".
  scoreWord(prefix: string, word: string) {
    if (word === " Paris") return prefix.includes("France") ? Math.log(0.9) : Math.log(0.05);
    return Math.log(0.5);
  },
};
const letters = {
  embeddings: async () => {
    const data = new Float64Array(128 * 4);
    for (let c = 0; c < 128; c++) for (let d = 0; d < 4; d++) data[c * 4 + d] = Math.sin(c * (d + 1));
    return { data, rows: 128, dims: 4 };
  },
  tokenize: async (text: string) =>
    [...text].map((char, i) => ({ id: char.charCodeAt(0) % 128, span: [i, i + 1] as [number, number] })),
};

describe("attributeEndpoint", () => {
  it("scores each word by how much removing it changes the output (prob_diff), as a valid result", async () => {
    const endpoint = fakeEndpoint(rule);
    const { results, log, requests } = await attributeEndpoint(endpoint, "The capital of France is", {
      perturbation: fixedPerturbation(""),
      strategies: ["prob_diff", "logprob", "token_displacement"],
      maxNewTokens: 2,
    });
    const [probDiff, logprob, displacement] = results.map((r) => r.result);
    validateResult(probDiff);
    const sequence = probDiff!.sequences[0]!;
    expect(sequence.source.map((t) => t.text)).toEqual(["The", " capital", " of", " France", " is"]);
    expect(sequence.target.map((t) => t.text)).toEqual([" Paris", "."]);
    // Removing "France": " Paris" drops from 0.9 to 0.05 (location-invariant lookup); "." is unchanged.
    expect(sequence.sourceAttributions[0]![3]).toBeCloseTo(0.85, 12);
    expect(sequence.sourceAttributions[1]![3]).toBeCloseTo(0, 12);
    expect(sequence.sourceAttributions[0]![0]).toBeCloseTo(0, 12);
    expect(sequence.extras["unitScores"]).toEqual([0, 0, 0, expect.closeTo(0.425, 12), 0]);
    expect(sequence.stepScores["probability"]![0]).toBeCloseTo(0.9, 12);
    expect(logprob!.sequences[0]!.sourceAttributions[0]![3]).toBeCloseTo(Math.log(0.9) - Math.log(0.05), 12);
    expect(displacement!.sequences[0]!.sourceAttributions[0]![3]).toBe(1);
    expect(probDiff!.info).toMatchObject({
      model: { id: "fake", architecture: "api" },
      method: { id: "api_perturbation", parameters: { unit: "word", perturbation: "removal" } },
      attributedFunction: { id: "prob_diff" },
      extra: { endpoint: { baseUrl: "http://fake.invalid/v1" } },
    });
    // 1 original + 1 scoring of it + 5 × (generation + scoring).
    expect(requests).toMatchObject({ perturbations: 5, sent: 12 });
    expect(endpoint.sent).toHaveLength(12);
    expect(log.experiments[0]!.perturbations.map((p) => p.perturbedPrompt)).toContain("The capital of is");
  });

  it("hierarchical perturbation finds the same decisive word with fewer requests on a long prompt", async () => {
    const filler = Array.from({ length: 40 }, (_, i) => `w${i}`);
    filler.splice(27, 0, "France");
    const prompt = filler.join(" ");
    const plain = fakeEndpoint(rule);
    const flat = await attributeEndpoint(plain, prompt, {
      perturbation: fixedPerturbation(""),
      maxNewTokens: 2,
    });
    const tree = fakeEndpoint(rule);
    const hierarchical = await attributeEndpoint(tree, prompt, {
      perturbation: fixedPerturbation(""),
      maxNewTokens: 2,
      hierarchical: true,
    });
    const top = (scores: unknown) => {
      const values = scores as number[];
      return values.indexOf(Math.max(...values));
    };
    expect(top(flat.results[0]!.result.sequences[0]!.extras["unitScores"])).toBe(27);
    expect(top(hierarchical.results[0]!.result.sequences[0]!.extras["unitScores"])).toBe(27);
    expect(tree.sent.length).toBeLessThan(plain.sent.length / 2);
    expect(hierarchical.results[0]!.result.info.method.id).toBe("api_hierarchical_perturbation");
  });

  it("a server without logprobs: prob_diff and logprob refuse before sending anything, cosine works", async () => {
    const endpoint = fakeEndpoint({
      ...rule,
      capabilities: { logprobs: false, echo: false, topLogprobs: 0 },
    });
    for (const strategy of ["prob_diff", "logprob"] as const) {
      await expect(
        attributeEndpoint(endpoint, "The capital of France is", {
          perturbation: fixedPerturbation(""),
          strategies: [strategy],
        }),
      ).rejects.toMatchObject({ code: "MISSING_CAPABILITY" });
    }
    expect(endpoint.sent).toHaveLength(0);
    const { results } = await attributeEndpoint(endpoint, "The capital of France is", {
      perturbation: fixedPerturbation(""),
      strategies: ["cosine"],
      embedder: letters,
    });
    const sequence = results[0]!.result.sequences[0]!;
    const scores = sequence.extras["unitScores"] as number[];
    expect(scores.indexOf(Math.max(...scores))).toBe(3);
    expect(scores[0]).toBe(0);
    expect(sequence.target.map((t) => t.text).join("")).toBe(" Paris.");
  });
});
