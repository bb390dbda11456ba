import { describe, expect, it } from "vitest";
import type { Completion, TokenLogprob } from "../endpoint/types.ts";
import { cosineDistance, probDiff, teacherForcedLogprob, tokenDisplacement } from "./index.ts";

const completion = (tokens: TokenLogprob[]): Completion => ({
  text: tokens.map((t) => t.token).join(""),
  tokens,
  promptTokens: null,
  finishReason: "length",
  usage: { promptTokens: 0, completionTokens: tokens.length },
});
const original = completion([
  { token: " Paris", logprob: Math.log(0.8), top: [{ token: " Paris", logprob: Math.log(0.8) }] },
  { token: ".", logprob: Math.log(0.5), top: [{ token: ".", logprob: Math.log(0.5) }] },
]);
const perturbed = completion([
  {
    token: " Lyon",
    logprob: Math.log(0.6),
    top: [
      { token: " Lyon", logprob: Math.log(0.6) },
      { token: " Paris", logprob: Math.log(0.3) },
    ],
  },
  {
    token: "!",
    logprob: Math.log(0.7),
    top: [
      { token: "!", logprob: Math.log(0.7) },
      { token: ",", logprob: -3 },
    ],
  },
  { token: ".", logprob: Math.log(0.2), top: [{ token: ".", logprob: Math.log(0.2) }] },
]);

describe("prob_diff (the seed's definition)", () => {
  it("is |p_original − p_perturbed| with the token's best probability anywhere in the perturbed output", async () => {
    const { values, tokens } = await probDiff().score({ original, perturbed });
    expect(tokens.map((t) => t.span)).toEqual([
      [0, 6],
      [6, 7],
    ]);
    expect(values[0]).toBeCloseTo(0.8 - 0.3, 12);
    // "." is at position 2 in the perturbed output: location-invariant finds it there.
    expect(values[1]).toBeCloseTo(0.5 - 0.2, 12);
  });
  it("at the same position only, a missing token counts as logprob −100", async () => {
    const { values } = await probDiff({ locationInvariant: false }).score({ original, perturbed });
    expect(values[0]).toBeCloseTo(0.5, 12);
    expect(values[1]).toBeCloseTo(0.5 - Math.exp(-100), 12);
  });
  it("needs logprobs: a clear capability error", async () => {
    const bare = { ...original, tokens: null };
    await expect(probDiff().score({ original: bare, perturbed })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
    });
  });
});

describe("token_displacement", () => {
  it("is the rank in the perturbed top list at the position, the list length when absent", async () => {
    const { values } = await tokenDisplacement().score({ original, perturbed });
    // " Paris" is second at position 0; "." is not among position 1's two candidates.
    expect(values).toEqual([1, 2]);
    const invariant = await tokenDisplacement({ locationInvariant: true }).score({ original, perturbed });
    expect(invariant.values).toEqual([1, 0]);
  });
});

describe("cosine", () => {
  it("per original token: 1 − cos to the closest perturbed token; sentence: 1 − cos of the means", async () => {
    // Vocabulary: 0 "a" → (1,0), 1 "b" → (0,1), 2 "c" → (1,1).
    const data = new Float64Array([1, 0, 0, 1, 1, 1]);
    const ids: Record<string, number> = { a: 0, b: 1, c: 2 };
    const embedder = {
      embeddings: async () => ({ data, rows: 3, dims: 2 }),
      tokenize: async (text: string) =>
        [...text].map((char, i) => ({ id: ids[char]!, span: [i, i + 1] as [number, number] })),
    };
    const o = { ...original, text: "ab", tokens: null };
    const p = { ...original, text: "c", tokens: null };
    const { values, sentence } = await cosineDistance().score({ original: o, perturbed: p, embedder });
    expect(values[0]).toBeCloseTo(1 - 1 / Math.SQRT2, 12);
    expect(values[1]).toBeCloseTo(1 - 1 / Math.SQRT2, 12);
    // mean("ab") = (0.5, 0.5) is parallel to "c".
    expect(sentence).toBeCloseTo(0, 12);
    const empty = await cosineDistance().score({ original: o, perturbed: { ...p, text: "" }, embedder });
    expect(empty.values).toEqual([1, 1]);
  });
});

describe("logprob (teacher-forced)", () => {
  it("is log p(original token | original prompt) − log p(it | perturbed prompt), matched by offset", async () => {
    const originalScored = [
      { token: " Paris", logprob: -0.2, top: [], offset: 0 },
      { token: ".", logprob: -0.7, top: [], offset: 6 },
    ];
    const perturbedScored = [
      { token: " Paris", logprob: -2.5, top: [], offset: 0 },
      { token: ".", logprob: -0.5, top: [], offset: 6 },
    ];
    const signed = await teacherForcedLogprob({ abs: false }).score({
      original,
      perturbed: original,
      originalScored,
      perturbedScored,
    });
    expect(signed.values[0]).toBeCloseTo(2.3, 12);
    expect(signed.values[1]).toBeCloseTo(-0.2, 12);
    const magnitude = await teacherForcedLogprob().score({
      original,
      perturbed: original,
      originalScored,
      perturbedScored,
    });
    expect(magnitude.values[1]).toBeCloseTo(0.2, 12);
  });
});
