import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { limits } from "../limits/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { methodRegistry, registerMethod } from "../registry/registries.ts";
import { createToyModel } from "../testing/toy-model.ts";
import { attribute } from "./attribute.ts";
import { checkGenerationSettings, parseGenerationArgs } from "./generation-args.ts";
import { createEchoMethod } from "./test-method.test-helpers.ts";

const { method } = createEchoMethod();

/** The toy model's info and capabilities, with every method throwing: proof that nothing ran. */
function untouchable(): { model: LanguageModel; calls: string[] } {
  const toy = createToyModel({ seed: 1 });
  const calls: string[] = [];
  const model = new Proxy(toy, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return () => {
        calls.push(String(key));
        throw new Error(`the model was touched: ${String(key)}`);
      };
    },
  });
  return { model, calls };
}

function thrown(run: () => unknown): { code?: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected a throw");
}

beforeAll(() => {
  registerCoreBuiltins();
  registerMethod(method);
});
afterAll(() => methodRegistry.unregister(method.id));

describe("generation limits", () => {
  it("attribute() refuses maxNewTokens above the bound before the model is touched", async () => {
    const { model, calls } = untouchable();
    const error = await attribute(model, "abc", {
      method: method.id,
      generation: { maxNewTokens: 1e9 },
    }).catch((caught: unknown) => caught as Error);
    expect(isTokenscopeError(error, "INVALID_PARAMETERS"), String(error)).toBe(true);
    expect((error as Error).message).toContain("maxNewTokens");
    expect((error as Error).message).toContain("131,072 tokens");
    expect((error as Error).message).toContain(limits.newTokens.reason);
    expect(calls).toEqual([]);
  });

  it("refuses topK above the vocabulary bound, and accepts both at the bound", () => {
    expect(thrown(() => checkGenerationSettings({ topK: limits.rankedTokens.max + 1 })).message).toMatch(
      /topK: 16,777,217 is above the limit, at most 16,777,216 tokens/,
    );
    expect(
      checkGenerationSettings({ maxNewTokens: limits.newTokens.max, topK: limits.rankedTokens.max }),
    ).toBe(limits.newTokens.max);
  });

  it("parseGenerationArgs refuses max_new_tokens and top_k above the bound by name", () => {
    const error = thrown(() => parseGenerationArgs({ max_new_tokens: 1e9 }));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain('Generation argument "max_new_tokens" is 1,000,000,000 tokens');
    expect(error.message).toContain(limits.newTokens.reason);
    expect(thrown(() => parseGenerationArgs({ top_k: 2 ** 40 })).message).toContain('"top_k"');
    expect(parseGenerationArgs({ max_new_tokens: limits.newTokens.max })).toEqual({
      maxNewTokens: limits.newTokens.max,
    });
  });
});
