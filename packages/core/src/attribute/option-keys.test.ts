import { describe, expect, it } from "vitest";
import { checkAttributeOptionKeys } from "./option-keys.ts";
import type { AttributeOptions } from "./types.ts";

describe("checkAttributeOptionKeys", () => {
  it("accepts every option attribute() reads", () => {
    expect(() =>
      checkAttributeOptionKeys({
        method: "saliency",
        attributedFunction: "logprob",
        generation: { maxNewTokens: 3, targetLanguage: "fr" },
        keepRaw: true,
      }),
    ).not.toThrow();
  });

  it("refuses a misspelt option instead of running the default, suggesting the known name", () => {
    const options = { method: "saliency", attributedFn: "logprob" } as unknown as AttributeOptions;
    expect(() => checkAttributeOptionKeys(options)).toThrow(
      expect.objectContaining({
        code: "INVALID_INPUT",
        message: expect.stringContaining('"attributedFn"'),
        hint: expect.stringContaining('"attributedFn" → "attributedFunction"'),
      }),
    );
  });

  it("refuses Hugging Face names inside generation, pointing at parseGenerationArgs", () => {
    const options = { generation: { max_new_tokens: 5 } } as unknown as AttributeOptions;
    expect(() => checkAttributeOptionKeys(options)).toThrow(
      expect.objectContaining({
        code: "INVALID_INPUT",
        hint: expect.stringMatching(/"max_new_tokens" → "maxNewTokens".*parseGenerationArgs/),
      }),
    );
  });

  it("quotes a hostile key shortened, never whole", () => {
    const key = `x${"\u001b[31m".repeat(50)}`;
    const options = { [key]: 1 } as unknown as AttributeOptions;
    try {
      checkAttributeOptionKeys(options);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(500);
      expect((error as Error).message).not.toContain("\u001b");
    }
  });
});
