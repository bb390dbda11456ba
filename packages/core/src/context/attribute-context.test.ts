import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEchoMethod } from "../attribute/test-method.test-helpers.ts";
import type { ErrorCode } from "../errors/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { methodRegistry, registerMethod } from "../registry/registries.ts";
import { createToyModel } from "../testing/toy-model.ts";
import { attributeContext } from "./attribute-context.ts";
import { scoresThreshold, selectTokens } from "./select-tokens.ts";
import { fillTemplate } from "./templates.ts";
import type { AttributeContextOptions } from "./types.ts";

// PECoRe on the float64 toy model: CTI against KL computed by hand, selection as Inseq's, CCI reading
// the attribution of the selected step, and every refusal.
const { method } = createEchoMethod();
const model = createToyModel({ seed: 11, contextLength: 96 });

beforeAll(() => {
  registerCoreBuiltins();
  registerMethod(method);
});
afterAll(() => methodRegistry.unregister(method.id));

async function ids(text: string, special: boolean): Promise<number[]> {
  return (await model.tokenize(text, { addSpecialTokens: special, continuation: !special })).tokens.map(
    (token) => token.id!,
  );
}

async function logSoftmaxAfter(on: LanguageModel, prefix: number[]): Promise<Float64Array> {
  const { logits } = await on.forward!({ inputs: { ids: [prefix] }, positions: [[prefix.length - 1]] });
  const row = Float64Array.from(logits.data);
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
}

const base: AttributeContextOptions = {
  inputContextText: "lily was sick.",
  inputCurrentText: "her mom took her to the",
  outputCurrentText: "doctor now",
  attributionMethod: "test_echo",
  attributedFunction: "probability",
};

async function failure(options: Partial<AttributeContextOptions>) {
  try {
    await attributeContext(model, { ...base, ...options });
  } catch (error) {
    return error as { code: ErrorCode; message: string };
  }
  throw new Error("expected attributeContext to throw");
}

describe("templates and selection", () => {
  it("fills {context} and {current}, recording where the context went", () => {
    expect(fillTemplate("t", "{context} {current}", "b c", "a")).toEqual({
      text: "a b c",
      context: [0, 1],
      current: 2,
    });
    expect(fillTemplate("t", "<u>{current}</u>", "x", undefined)).toEqual({
      text: "<u>x</u>",
      context: undefined,
      current: 3,
    });
    expect(() => fillTemplate("t", "{context}", "x", "c")).toThrow(/\{current\} exactly once/);
    expect(() => fillTemplate("t", "{context} {current}", "x", undefined)).toThrow(/no context text/);
    expect(() => fillTemplate("t", "{current}", "x", "c")).toThrow(/no \{context\} placeholder/);
  });

  it("threshold = mean + λ·sample std; selection by |score| ≥ threshold, largest first, then top k", () => {
    const scores = [0.1, 0.9, -0.8, 0.2, 0.3];
    const mean = 0.14;
    const std = Math.sqrt(scores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / 4);
    expect(scoresThreshold(scores, 1)).toBeCloseTo(mean + std, 12);
    expect(scoresThreshold(scores, 0)).toBeCloseTo(mean, 12);
    expect(scoresThreshold([0.4], 2)).toBe(0.4);
    expect(scoresThreshold(scores, undefined)).toBe(0);
    expect(selectTokens(scores, { stdThreshold: 1 })).toEqual({ indices: [1, 2], threshold: mean + std });
    expect(selectTokens(scores, { stdThreshold: 1, topk: 1 }).indices).toEqual([1]);
    expect(selectTokens(scores, { stdThreshold: 0 }).indices).toEqual([1, 2, 4, 3]);
    expect(() => selectTokens(scores, { topk: 0 })).toThrow(/positive integer/);
    expect(() => selectTokens(scores, { stdThreshold: Number.NaN })).toThrow(/finite/);
  });
});

describe("attributeContext (toy model)", () => {
  it("CTI is KL(p(·|context, current, y<t) ‖ p(·|current, y<t)) per current output token", async () => {
    const output = await attributeContext(model, { ...base, contextSensitivityStdThreshold: 0 });
    const contextual = await ids("lily was sick. her mom took her to the", true);
    const contextless = await ids("her mom took her to the", true);
    // The separator " " the output is joined with is its own token here (one per character), and
    // not part of the current output.
    const target = await ids(" doctor now", false);
    expect(output.cti.ids).toEqual(target.slice(1));
    expect(output.cti.scores).toHaveLength(target.length - 1);
    for (let t = 1; t < target.length; t++) {
      const p = await logSoftmaxAfter(model, [...contextual, ...target.slice(0, t)]);
      const q = await logSoftmaxAfter(model, [...contextless, ...target.slice(0, t)]);
      let kl = 0;
      for (let i = 0; i < p.length; i++) kl += Math.exp(p[i]!) * (p[i]! - q[i]!);
      expect(output.cti.scores[t - 1]).toBeCloseTo(kl, 12);
    }
    expect(output.selected).toEqual(selectTokens(output.cti.scores, { stdThreshold: 0 }).indices);
    expect(output.contextualInput).toBe("lily was sick. her mom took her to the");
    expect(output.contextlessInput).toBe("her mom took her to the");
    expect(output.inputContextTokens.map((token) => token.text).join("")).toBe("lily was sick.");
  });

  it("CCI attributes only each selected step and reads the context tokens' scores from it", async () => {
    const output = await attributeContext(model, {
      ...base,
      contextSensitivityStdThreshold: 0,
      attributionTopk: 2,
    });
    expect(output.cci.map((entry) => entry.index)).toEqual(output.selected);
    const contextTokens = output.inputContextTokens.length;
    for (const entry of output.cci) {
      const sequence = entry.result.sequences[0]!;
      const step = sequence.target.length - output.cti.tokens.length + entry.index;
      sequence.sourceAttributions.forEach((row, t) => {
        expect(row.every((cell) => cell === null)).toBe(t !== step);
      });
      // Context tokens are source tokens 1.. (after BOS): their cells of the attributed step.
      expect(entry.inputContextScores).toEqual(
        sequence.sourceAttributions[step]!.slice(1, 1 + contextTokens),
      );
      expect(entry.cues.length).toBeLessThanOrEqual(2);
      expect(entry.ctiScore).toBe(output.cti.scores[entry.index]);
    }
  });

  it("a generated output; top-k CTI; an output context", async () => {
    const generated = await attributeContext(model, {
      ...base,
      outputCurrentText: undefined,
      generation: { maxNewTokens: 4 },
      contextSensitivityTopk: 1,
      contextSensitivityStdThreshold: 0,
    });
    expect(generated.cti.tokens).toHaveLength(4);
    expect(generated.selected).toHaveLength(1);
    const withOutputContext = await attributeContext(model, {
      ...base,
      outputContextText: "so",
      contextSensitivityStdThreshold: 0,
    });
    expect(withOutputContext.outputContextTokens.map((token) => token.text).join("")).toBe("so");
    expect(withOutputContext.cti.tokens.join("")).toBe("doctor now");
    expect(withOutputContext.cci[0]!.outputContextScores).toHaveLength(
      withOutputContext.outputContextTokens.length,
    );
  });

  it("refuses what it cannot do, before any model call where it can", async () => {
    expect(await failure({ inputCurrentText: " " })).toMatchObject({ code: "INVALID_INPUT" });
    expect(await failure({ contextSensitivityMetric: "probability" })).toMatchObject({
      code: "INVALID_INPUT",
      message: /does not compare two inputs/,
    });
    expect(await failure({ inputTemplate: "{context}" })).toMatchObject({
      message: /\{current\} exactly once/,
    });
    expect(
      await failure({ inputContextText: undefined, inputTemplate: "{context} {current}" }),
    ).toMatchObject({
      message: /no context text/,
    });
    expect(await failure({ contextSensitivityTopk: 0 })).toMatchObject({ message: /positive integer/ });
    expect(await failure({ outputCurrentText: "" })).toMatchObject({ message: /outputCurrentText is empty/ });
    const encoderDecoder = { ...model, info: { ...model.info, encoderDecoder: true } };
    try {
      await attributeContext(encoderDecoder, base);
      throw new Error("expected a refusal");
    } catch (error) {
      expect(error).toMatchObject({ code: "MISSING_CAPABILITY", message: /decoder-only/ });
    }
  });
});
