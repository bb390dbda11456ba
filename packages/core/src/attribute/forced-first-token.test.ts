import { describe, expect, it } from "vitest";
import type { LanguageModel, ModelInfo } from "../model/language-model.ts";
import { parseGenerationArgs } from "./generation-args.ts";
import { forcedFirstToken } from "./prepare-target.ts";

function modelWith(info: Partial<ModelInfo>): LanguageModel {
  return {
    info: {
      id: "m",
      architecture: "mbart",
      vocabSize: 100,
      hiddenSize: 8,
      numLayers: 1,
      numHeads: 1,
      contextLength: 64,
      encoderDecoder: true,
      specialTokens: {},
      ...info,
    },
    capabilities: new Set(),
  } as unknown as LanguageModel;
}

const multilingual = modelWith({
  forcedBosTokenId: 5,
  languageCodes: { en_XX: 90, fr_XX: 91, de_DE: 92, __fr__: 93, fra_Latn: 94 },
});

describe("forcedFirstToken", () => {
  it("takes forcedBosTokenId first, then targetLanguage, then the model's default", () => {
    expect(forcedFirstToken(multilingual, { forcedBosTokenId: 7, targetLanguage: "de" })).toBe(7);
    expect(forcedFirstToken(multilingual, { targetLanguage: "de" })).toBe(92);
    expect(forcedFirstToken(multilingual, {})).toBe(5);
    expect(forcedFirstToken(modelWith({}), {})).toBeUndefined();
  });

  it("matches a code exactly, or by its language when exactly one code has it", () => {
    expect(forcedFirstToken(multilingual, { targetLanguage: "fr_XX" })).toBe(91);
    expect(forcedFirstToken(multilingual, { targetLanguage: "__fr__" })).toBe(93);
    expect(forcedFirstToken(multilingual, { targetLanguage: "fra" })).toBe(94);
    expect(forcedFirstToken(multilingual, { targetLanguage: "EN" })).toBe(90);
  });

  it("refuses an ambiguous or unknown language, naming the candidates", () => {
    expect(() => forcedFirstToken(multilingual, { targetLanguage: "fr" })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETERS", hint: expect.stringContaining("__fr__") }),
    );
    expect(() => forcedFirstToken(multilingual, { targetLanguage: "ja" })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETERS", hint: expect.stringContaining("fr_XX") }),
    );
    expect(() => forcedFirstToken(modelWith({}), { targetLanguage: "fr" })).toThrow(
      expect.objectContaining({
        code: "INVALID_PARAMETERS",
        message: expect.stringContaining("no target-language"),
      }),
    );
    // A code such as "toString" is not found on the object's prototype.
    expect(() => forcedFirstToken(multilingual, { targetLanguage: "toString" })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETERS" }),
    );
  });

  it("refuses an id outside the target vocabulary", () => {
    expect(() => forcedFirstToken(multilingual, { forcedBosTokenId: 100 })).toThrow(
      expect.objectContaining({ code: "INVALID_PARAMETERS" }),
    );
  });

  it("reads tgt_lang / target_language from generation arguments and refuses non-strings", () => {
    expect(parseGenerationArgs({ tgt_lang: " fr_XX " })).toEqual({ targetLanguage: "fr_XX" });
    expect(parseGenerationArgs({ target_language: "de" })).toEqual({ targetLanguage: "de" });
    expect(() => parseGenerationArgs({ tgt_lang: 3 })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => parseGenerationArgs({ tgt_lang: "" })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
  });
});
