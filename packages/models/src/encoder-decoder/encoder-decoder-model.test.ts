import {
  type AttributionMethod,
  attribute,
  type LanguageModel,
  methodRegistry,
  registerCoreBuiltins,
  registerMethod,
} from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadDecoderWeights, loadModel } from "../load-model.ts";
import { arenTransliterationDir } from "../testing/assets.test-helpers.ts";

let model: LanguageModel;
/** A method that needs forward passes, as every real attribution method needs one of them or more. */
const forwardMethod: AttributionMethod<Record<string, never>> = {
  id: "test_encoder_decoder_forward",
  family: "test",
  summary: "test",
  description: "test",
  requires: ["forward"],
  supports: { targetPrefix: false, contrastive: false, batching: true },
  parameters: z.strictObject({}),
  run: async () => {
    throw new Error("never run");
  },
};

beforeAll(async () => {
  model = await loadModel(arenTransliterationDir);
  registerCoreBuiltins();
  registerMethod(forwardMethod);
});
afterAll(async () => {
  methodRegistry.unregister(forwardMethod.id);
  await model.dispose?.();
});

describe("aren-transliteration through loadModel", () => {
  it("is an encoder-decoder that declares tokenize and generate only", () => {
    expect(model.info).toMatchObject({
      architecture: "transformer",
      encoderDecoder: true,
      vocabSize: 43,
      hiddenSize: 32,
      numLayers: 6,
      numHeads: 8,
      specialTokens: { bos: 1, eos: [2], pad: 0, unk: 50 },
    });
    expect([...model.capabilities].sort()).toEqual(["generate", "tokenize"]);
    expect(model.info.execution?.runtime).toBeDefined();
  });

  it("greedy-generates the README's five names", async () => {
    const cases: Array<[string, string]> = [
      ["آتزمون", "atzmon"],
      ["آتشيسون", "achison"],
      ["آزا", "azza"],
      ["أحمد", "ahmad"],
      ["جون", "jon"],
    ];
    for (const [arabic, latin] of cases) {
      const { tokens } = await model.tokenize(arabic);
      const generated = await model.generate!(tokens.map((token) => token.id!));
      expect(generated.text).toBe(latin);
      // The end token is the last id, as causal models keep their EOS, and takes no characters.
      expect(generated.ids).toHaveLength(latin.length + 1);
      expect(generated.ids.at(-1)).toBe(2);
    }
  });

  it("stops at maxNewTokens, forces ids and samples reproducibly", async () => {
    const ids = (await model.tokenize("آتشيسون")).tokens.map((token) => token.id!);
    expect((await model.generate!(ids, { maxNewTokens: 3 })).text).toBe("ach");
    const forcedA = (await model.tokenize("at", { continuation: true })).tokens.map((token) => token.id!);
    const prefixed = await model.generate!(ids, { prefixIds: forcedA });
    expect(prefixed.text.startsWith("at")).toBe(true);
    const sampling = { temperature: 1, topK: 5, seed: 3, maxNewTokens: 10 };
    const first = await model.generate!(ids, sampling);
    expect((await model.generate!(ids, sampling)).ids).toEqual(first.ids);
    const progress: number[] = [];
    await model.generate!(ids, { maxNewTokens: 2, onProgress: (event) => progress.push(event.completed) });
    expect(progress).toEqual([1, 2]);
    const controller = new AbortController();
    controller.abort();
    await expect(model.generate!(ids, { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("stops when its signal aborts between steps", async () => {
    const ids = (await model.tokenize("آتشيسون")).tokens.map((token) => token.id!);
    const controller = new AbortController();
    const completed: number[] = [];
    const generation = model.generate!(ids, {
      signal: controller.signal,
      onProgress: (event) => {
        completed.push(event.completed);
        if (event.completed === 2) controller.abort();
      },
    });
    await expect(generation).rejects.toMatchObject({ code: "ABORTED" });
    expect(completed).toEqual([1, 2]);
    // The model still generates afterwards: the aborted generation's cache was its own.
    expect((await model.generate!(ids)).text).toBe("achison");
  });

  it("tokenizes the source one character per token with spans, <unk> for unknown characters", async () => {
    const { text, tokens } = await model.tokenize("جون");
    expect(text).toBe("جون");
    expect(tokens.map((token) => [token.text, token.span, token.special])).toEqual([
      ["ج", [0, 1], false],
      ["و", [1, 2], false],
      ["ن", [2, 3], false],
    ]);
    expect(tokens.every((token) => token.id !== null && token.id < 50)).toBe(true);
    // A character outside the source vocabulary, and one outside the BMP (two UTF-16 units).
    const unknown = await model.tokenize("ج😀x");
    expect(unknown.tokens.map((token) => [token.id, token.text, token.span])).toEqual([
      [tokens[0]!.id, "ج", [0, 1]],
      [50, "😀", [1, 3]],
      [50, "x", [3, 4]],
    ]);
  });

  it("decodes target ids without the special tokens", async () => {
    const ids = (await model.tokenize("ahmad", { continuation: true })).tokens.map((token) => token.id!);
    const decoded = await model.decodeTokens([1, ...ids, 2]);
    expect(decoded.text).toBe("ahmad");
    expect(decoded.tokens[0]).toMatchObject({ id: 1, special: true, span: null, piece: "<s>" });
    expect(decoded.tokens[1]).toMatchObject({ text: "a", span: [0, 1], special: false });
    expect(decoded.tokens.at(-1)).toMatchObject({ id: 2, special: true, span: null, piece: "</s>" });
    expect(await model.detokenize([1, ...ids, 2])).toBe("ahmad");
    await expect(model.decodeTokens([43])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("refuses source ids outside the source vocabulary and an empty source", async () => {
    await expect(model.generate!([51])).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(model.generate!([])).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });

  it("makes attribute() refuse a method that needs forward passes with MISSING_CAPABILITY", async () => {
    await expect(attribute(model, "جون", { method: forwardMethod.id })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
      message: expect.stringContaining("no decoder inputs"),
    });
  });

  it("is no causal LM for loadDecoderWeights", async () => {
    await expect(loadDecoderWeights(arenTransliterationDir)).rejects.toMatchObject({
      code: "MODEL_LOAD_FAILED",
      message: expect.stringContaining("CTranslate2 encoder-decoder"),
    });
  });
});
