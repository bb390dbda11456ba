import { isTokenscopeError, type TokenscopeError } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { decoderConfigFromHf } from "./config.ts";

function errorOf(run: () => unknown): TokenscopeError {
  try {
    run();
  } catch (error) {
    if (isTokenscopeError(error)) return error;
    throw error;
  }
  throw new Error("expected a TokenscopeError");
}

const llama = {
  model_type: "llama",
  hidden_size: 16,
  intermediate_size: 48,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  vocab_size: 300,
  max_position_embeddings: 128,
  rms_norm_eps: 1e-5,
  hidden_act: "silu",
};

const huge = "x".repeat(10 * 1024 * 1024);

describe("decoderConfigFromHf: hostile values are quoted short and escaped", () => {
  it("a 10 MB model_type: the message stays under 1 KB, saying how much was left out", () => {
    const error = errorOf(() => decoderConfigFromHf({ ...llama, model_type: huge }));
    expect(error.code).toBe("UNSUPPORTED_ARCHITECTURE");
    expect(error.message.length).toBeLessThan(1024);
    expect(error.message).toContain(
      `model_type "${"x".repeat(200)}"… (10,485,560 more characters) is not supported`,
    );
  });

  it("a 10 MB activation or rope_scaling type, and a value of the wrong type, are cut too", () => {
    for (const config of [
      { ...llama, hidden_act: huge },
      { ...llama, rope_scaling: { rope_type: huge, factor: 2 } },
      { ...llama, tie_word_embeddings: huge },
      { ...llama, hidden_size: huge },
    ]) {
      const error = errorOf(() => decoderConfigFromHf(config));
      expect(error.message.length, error.message.slice(0, 200)).toBeLessThan(1024);
      expect(error.message).toContain("10,485,560 more characters");
    }
  });

  it("a value nested 100,000 levels deep is described, not stringified (no stack overflow)", () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level++) deep = [deep];
    const error = errorOf(() => decoderConfigFromHf({ ...llama, hidden_size: deep }));
    expect(error.message).toContain("hidden_size must be a number, got an array of 1 item");
  });

  it("control characters in a model_type cannot reach the terminal", () => {
    const error = errorOf(() =>
      decoderConfigFromHf({ ...llama, model_type: "\u001b]52;c;aGk=\u0007\u009b2J" }),
    );
    expect(error.message).toContain('model_type "␛]52;c;aGk=␇�2J" is not supported');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
