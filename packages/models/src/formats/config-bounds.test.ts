import { isTokenscopeError, limits } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { tinyFamilyConfigs } from "../testing/random-weights.ts";
import { checkDecoderConfigBounds, checkWeightsFitFile, minimumWeightCount } from "./config-bounds.ts";

const llama = tinyFamilyConfigs["llama"]!;

function failure(run: () => void): Error & { code: string; details: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("checkDecoderConfigBounds", () => {
  it("accepts sizes up to the limits, inclusive", () => {
    expect(() =>
      checkDecoderConfigBounds({ ...llama, numLayers: limits.modelLayers.max }, "config.json"),
    ).not.toThrow();
  });

  it("refuses each bounded size as the file's fault (MODEL_LOAD_FAILED), in the file's own names", () => {
    const error = failure(() =>
      checkDecoderConfigBounds({ ...llama, vocabSize: limits.vocabulary.max + 1 }, "m.gguf", {
        vocabSize: "llama.vocab_size",
      }),
    );
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain("m.gguf: llama.vocab_size is 16,777,217 tokens");
    expect(error.message).toContain(limits.vocabulary.reason);
    expect(error.details).toMatchObject({ limit: "vocabulary", max: limits.vocabulary.max });
  });
});

describe("checkWeightsFitFile", () => {
  it("accepts a file that holds the weights at the given width", () => {
    const bytes = minimumWeightCount(llama) * 4;
    expect(() => checkWeightsFitFile(llama, bytes, 4, "model.bin")).not.toThrow();
  });

  it("refuses a file smaller than the config's weights, with the numbers", () => {
    const error = failure(() => checkWeightsFitFile({ ...llama, numLayers: 1000 }, 4096, 2, "w"));
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toMatch(/^w: the config \(1000 layers, .* but the weights have 4,096 bytes\./);
  });
});
