import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../errors/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { getStepFunction, methodRegistry, registerMethod } from "../registry/registries.ts";
import { parseResult, serializeResult } from "../serialization/index.ts";
import { createToyModel } from "../testing/toy-model.ts";
import { attribute } from "./attribute.ts";
import { autoAlignment, explicitAlignment, rightAlignment } from "./contrast-alignment.ts";
import { createEchoMethod } from "./test-method.test-helpers.ts";
import type { AttributeOptions } from "./types.ts";

// Contrastive inputs in attribute(): alignment, step scores against direct forwards of the float64
// toy model, the recorded contrast, and every refusal.
const { method } = createEchoMethod();
const model = createToyModel({ seed: 5, contextLength: 64 });

beforeAll(() => {
  registerCoreBuiltins();
  registerMethod(method);
});
afterAll(() => methodRegistry.unregister(method.id));

async function idsOf(text: string, special: boolean): Promise<number[]> {
  return (await model.tokenize(text, { addSpecialTokens: special })).tokens.map((token) => token.id!);
}

/** Logits of the toy model after `ids` (at the last position), in float64. */
async function lastLogits(on: LanguageModel, ids: number[]): Promise<Float64Array> {
  const { logits } = await on.forward!({ inputs: { ids: [ids] }, positions: [[ids.length - 1]] });
  return Float64Array.from(logits.data);
}

async function failure(options: AttributeOptions) {
  try {
    await attribute(model, "ab", { method: "test_echo", target: "cd", ...options });
  } catch (error) {
    return error as { code: ErrorCode; message: string; hint?: string };
  }
  throw new Error("expected attribute() to throw");
}

describe("contrast alignment", () => {
  it("aligns right by default; a shorter contrast leaves the first steps on its first token", () => {
    expect(rightAlignment(3, 5)).toEqual([2, 3, 4]);
    expect(rightAlignment(4, 2)).toEqual([0, 0, 0, 1]);
    expect(rightAlignment(2, 2)).toEqual([0, 1]);
  });

  it("reads explicit pairs as Inseq does: first unused pair per target index, the rest aligned right", () => {
    expect(
      explicitAlignment(
        [
          [1, 2],
          [0, 0],
        ],
        4,
        6,
      ),
    ).toEqual([0, 2, 4, 5]);
    // Two pairs for target 1: the first whose contrast index no earlier step took.
    expect(
      explicitAlignment(
        [
          [0, 1],
          [1, 1],
          [1, 3],
        ],
        2,
        4,
      ),
    ).toEqual([1, 3]);
    expect(() => explicitAlignment([[0, 9]], 2, 4)).toThrow(/outside the sequences/);
    expect(() => explicitAlignment([[0, -1] as unknown as [number, number]], 2, 4)).toThrow(
      /non-negative integers/,
    );
  });

  it("auto: identical tokens matched, gaps by embedding similarity, insertions face the next match", () => {
    const vectors: Record<string, number[]> = { x: [1, 0], y: [0, 1], p: [0.9, 0.1], q: [0.1, 0.9] };
    const target = ["a", "x", "y", "b"];
    const contrast = ["a", "q", "p", "b"];
    const code = (s: string) => s.charCodeAt(0);
    const alignment = autoAlignment(target.map(code), contrast.map(code), ({ side, index }) => {
      const token = (side === "target" ? target : contrast)[index]!;
      return vectors[token] ?? [0, 0];
    });
    expect(alignment).toEqual([0, 2, 1, 3]);
    // "big" inserted: it faces the contrast token after the same prefix ("hospital").
    const inserted = autoAlignment([1, 2, 9, 3], [1, 2, 3], () => [1]);
    expect(inserted).toEqual([0, 1, 2, 2]);
  });
});

describe("contrastive step scores (toy model, float64)", () => {
  const ids = (source: number[], contrastPrefix: number[]) => [...source, ...contrastPrefix];

  it("equal direct computations from two forward passes, for every contrastive step function", async () => {
    const result = await attribute(model, "the cat", {
      method: "test_echo",
      target: " sat on",
      contrastTargets: " ran off too",
      stepScores: [
        "contrast_prob",
        "contrast_logits",
        "contrast_prob_diff",
        "contrast_logits_diff",
        { id: "kl_divergence", parameters: { top_k: 5 } },
        "pcxmi",
        "in_context_pvi",
      ],
    });
    const sequence = result.sequences[0]!;
    const source = await idsOf("the cat", true);
    const target = await idsOf(" sat on", false);
    const contrast = await idsOf(" ran off too", false);
    const alignment = rightAlignment(target.length, contrast.length);
    expect(sequence.contrast).toEqual({
      targetText: " ran off too",
      target: expect.any(Array),
      alignment,
    });
    for (let t = 0; t < target.length; t++) {
      const logits = await lastLogits(model, ids(source, target.slice(0, t)));
      const contrastLogits = await lastLogits(model, ids(source, contrast.slice(0, alignment[t]!)));
      const input = {
        logits,
        contrastLogits,
        targetId: target[t]!,
        contrastTargetId: contrast[alignment[t]!]!,
      };
      for (const [id, parameters] of [
        ["contrast_prob", {}],
        ["contrast_logits", {}],
        ["contrast_prob_diff", {}],
        ["contrast_logits_diff", {}],
        ["kl_divergence", { top_k: 5, top_p: 1, min_tokens_to_keep: 1 }],
        ["pcxmi", {}],
        ["in_context_pvi", {}],
      ] as const) {
        const expected = getStepFunction(id).evaluate({ ...input, parameters }, false).value;
        expect(sequence.stepScores[id]![t]).toBeCloseTo(expected, 12);
      }
    }
    // Hand-written definitions, not only the step functions themselves.
    const t = 2;
    const logits = await lastLogits(model, ids(source, target.slice(0, t)));
    const contrastLogits = await lastLogits(model, ids(source, contrast.slice(0, alignment[t]!)));
    const softmax = (v: Float64Array) => {
      const m = Math.max(...v);
      const e = v.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    };
    const p = softmax(logits);
    const q = softmax(contrastLogits);
    expect(sequence.stepScores["contrast_prob_diff"]![t]).toBeCloseTo(
      p[target[t]!]! - q[contrast[alignment[t]!]!]!,
      12,
    );
    expect(sequence.stepScores["pcxmi"]![t]).toBeCloseTo(
      Math.log2(q[contrast[alignment[t]!]!]!) - Math.log2(p[target[t]!]!),
      12,
    );
  });

  it("kl_divergence with top_p, and with a contrast source, equals KL of the two distributions", async () => {
    const result = await attribute(model, "her mom took her to the", {
      method: "test_echo",
      target: " park",
      contrastSources: "lily was sick. her mom took her to the",
      stepScores: [{ id: "kl_divergence", parameters: { top_p: 0.5 } }, "kl_divergence"].slice(1),
    });
    const source = await idsOf("her mom took her to the", true);
    const contextual = await idsOf("lily was sick. her mom took her to the", true);
    const target = await idsOf(" park", false);
    for (let t = 0; t < target.length; t++) {
      const p = await lastLogits(model, [...source, ...target.slice(0, t)]);
      const q = await lastLogits(model, [...contextual, ...target.slice(0, t)]);
      const lse = (v: Float64Array) => {
        const m = Math.max(...v);
        return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
      };
      const [lp, lq] = [lse(p), lse(q)];
      let kl = 0;
      for (let i = 0; i < p.length; i++) kl += Math.exp(p[i]! - lp) * (p[i]! - lp - (q[i]! - lq));
      expect(result.sequences[0]!.stepScores["kl_divergence"]![t]).toBeCloseTo(kl, 12);
    }
    const filtered = await attribute(model, "her mom took her to the", {
      method: "test_echo",
      target: " park",
      contrastSources: "lily was sick. her mom took her to the",
      stepScores: [{ id: "kl_divergence", parameters: { top_p: 0.5 } }],
    });
    const p = await lastLogits(model, source);
    const q = await lastLogits(model, contextual);
    const expected = getStepFunction("kl_divergence").evaluate(
      {
        logits: p,
        contrastLogits: q,
        targetId: target[0]!,
        parameters: { top_k: 0, top_p: 0.5, min_tokens_to_keep: 1 },
      },
      false,
    ).value;
    expect(filtered.sequences[0]!.stepScores["kl_divergence"]![0]).toBeCloseTo(expected, 12);
  });

  it("contrast_prob with the context as contrast source equals probability on the full context (Inseq's test)", async () => {
    const contrastive = await attribute(model, " the manager opened", {
      method: "test_echo",
      target: " her shop.",
      contrastSources: "back home, the manager opened",
      stepScores: ["contrast_prob"],
    });
    const regular = await attribute(model, "back home, the manager opened", {
      method: "test_echo",
      // The echo method reports its own values for the attributed function: attribute another one.
      attributedFunction: "logit",
      target: " her shop.",
      stepScores: ["probability"],
    });
    expect(contrastive.sequences[0]!.stepScores["contrast_prob"]).toEqual(
      regular.sequences[0]!.stepScores["probability"],
    );
    expect(contrastive.sequences[0]!.contrast?.sourceText).toBe("back home, the manager opened");
  });

  it("a contrast equal to the target gives exact zeros", async () => {
    const result = await attribute(model, "ab", {
      method: "test_echo",
      target: " cd",
      contrastTargets: " cd",
      stepScores: ["contrast_prob_diff", "contrast_logits_diff", "kl_divergence", "pcxmi"],
    });
    for (const id of ["contrast_prob_diff", "contrast_logits_diff", "kl_divergence", "pcxmi"]) {
      expect(result.sequences[0]!.stepScores[id]).toEqual([0, 0, 0]);
    }
  });

  it("explicit alignments choose the compared tokens; one alignment per prompt", async () => {
    const result = await attribute(model, ["ab", "ba"], {
      method: "test_echo",
      target: " cd",
      contrastTargets: [" xyz", " q"],
      contrastAlignments: [
        [
          [0, 0],
          [1, 0],
        ],
        "auto",
      ],
      stepScores: ["contrast_prob"],
    });
    // Target 1's only pair names contrast 0, which step 0 took: Inseq then keeps that first pair.
    expect(result.sequences[0]!.contrast!.alignment).toEqual([0, 0, 3]);
    expect(result.sequences[1]!.contrast!.alignment).toHaveLength(3);
    const source = await idsOf("ab", true);
    const contrast = await idsOf(" xyz", false);
    const logits = await lastLogits(model, source);
    const expected = getStepFunction("contrast_prob").evaluate(
      { logits, targetId: contrast[0]!, contrastTargetId: contrast[0]!, parameters: { logprob: false } },
      false,
    ).value;
    expect(result.sequences[0]!.stepScores["contrast_prob"]![0]).toBeCloseTo(expected, 12);
  });
});

describe("the recorded contrast", () => {
  it("survives saving and loading (schema 3), and a bad alignment in a file is refused", async () => {
    const result = await attribute(model, "ab", {
      method: "test_echo",
      target: " cd",
      contrastTargets: " x",
      contrastSources: "zz ab",
      stepScores: ["contrast_prob_diff"],
    });
    expect(result.schemaVersion).toBe(3);
    const text = new TextDecoder().decode(serializeResult(result));
    const loaded = parseResult(text);
    expect(loaded.sequences[0]!.contrast).toEqual(result.sequences[0]!.contrast);
    expect(loaded.sequences[0]!.contrast!.source!.length).toBeGreaterThan(0);
    const broken = JSON.parse(text);
    broken.sequences[0].contrast.alignment = [0, 5, 0];
    expect(() => parseResult(JSON.stringify(broken))).toThrow(/contrast\.alignment/);
  });
});

describe("contrast refusals", () => {
  it("a contrast with nothing that reads it, alignments without contrast targets, mismatched counts", async () => {
    expect(await failure({ contrastTargets: " x" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /neither the attributed function nor any step score/,
    });
    expect(
      await failure({ contrastAlignments: [[0, 0]], contrastSources: "zz", stepScores: ["contrast_prob"] }),
    ).toMatchObject({
      code: "INVALID_INPUT",
      message: /contrastAlignments were given without contrastTargets/,
    });
    expect(await failure({ contrastTargets: [" x", " y"], stepScores: ["contrast_prob"] })).toMatchObject({
      code: "INVALID_INPUT",
      message: /1 prompts but 2 values of contrastTargets/,
    });
    expect(
      await failure({ contrastTargets: " x", contrastAlignments: [[3, 0]], stepScores: ["contrast_prob"] }),
    ).toMatchObject({ code: "INVALID_INPUT", message: /outside the sequences/ });
    expect(await failure({ contrastTargets: "  ", stepScores: ["contrast_prob"] })).toMatchObject({
      code: "INVALID_INPUT",
      message: /Contrast target 0 is empty/,
    });
  });

  it("a method without contrastive support refuses a contrastive attributed function", async () => {
    expect(await failure({ contrastTargets: " x", attributedFunction: "contrast_prob_diff" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /Method "test_echo" does not attribute contrastive functions/,
    });
  });
});
