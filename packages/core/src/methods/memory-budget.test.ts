import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attribute } from "../attribute/attribute.ts";
import { createEchoMethod } from "../attribute/test-method.test-helpers.ts";
import { isTokenscopeError } from "../errors/index.ts";
import type { LanguageModel } from "../model/language-model.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { methodRegistry, registerMethod } from "../registry/registries.ts";
import { createToyModel } from "../testing/toy-model.ts";
import {
  checkMemoryBudget,
  checkMemoryBudgetBytes,
  formatMiB,
  MIN_MEMORY_BUDGET_BYTES,
  rowsPerCall,
  smallestBudgetBytes,
} from "./memory-budget.ts";

const MiB = 2 ** 20;

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("rows per call under a memory budget", () => {
  it("fits as many rows as the budget holds, up to the rows wanted", () => {
    expect(rowsPerCall(10 * MiB, 100, 35 * MiB)).toBe(3);
    expect(rowsPerCall(10 * MiB, 2, 35 * MiB)).toBe(2);
    expect(rowsPerCall(10 * MiB, 7, undefined)).toBe(7);
    expect(rowsPerCall(10 * MiB, 1, 10 * MiB)).toBe(1);
  });

  it("never falls back to one row over the budget (the defect: a 64 MiB budget used 421 MB)", () => {
    const error = thrown(() => rowsPerCall(421e6, 1, 64 * MiB));
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect((error as Error).message).toMatch(
      /^One row needs about 402 MiB \(estimated\), more than the memory budget of 64 MiB/,
    );
  });
});

describe("checkMemoryBudget", () => {
  it("passes a row that fits, and anything without a budget", () => {
    expect(() =>
      checkMemoryBudget({ method: "m", row: "one row", rowBytes: 16 * MiB, budgetBytes: 16 * MiB }),
    ).not.toThrow();
    expect(() =>
      checkMemoryBudget({ method: "m", row: "one row", rowBytes: 1e12, budgetBytes: undefined }),
    ).not.toThrow();
  });

  it("names the smallest budget that works, in every unit a caller gives it in", () => {
    const rowBytes = 113.2 * MiB;
    const error = thrown(() =>
      checkMemoryBudget({
        method: "saliency",
        row: "one gradient row of 485 tokens",
        rowBytes,
        budgetBytes: 16 * MiB,
      }),
    );
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect((error as Error).message).toBe(
      'Method "saliency": one gradient row of 485 tokens needs about 114 MiB (estimated), more than ' +
        "the memory budget of 16 MiB; nothing was run. Raise the budget to at least 114 MiB " +
        "(memoryBudgetBytes: 119537664, --memory-budget 114MiB), or shorten the prompt or the target.",
    );
    expect((error as { details: object }).details).toMatchObject({
      rowBytes: Math.ceil(rowBytes),
      smallestBudgetBytes: 114 * MiB,
    });
    // The budget it names is enough: one row fits it.
    expect(rowsPerCall(rowBytes, 5, smallestBudgetBytes(rowBytes))).toBe(1);
  });

  it("formats budgets that are not whole MiB without hiding the difference", () => {
    expect(formatMiB(16 * MiB)).toBe("16 MiB");
    expect(formatMiB(1.5 * MiB)).toBe("1.5 MiB");
    expect(formatMiB(MiB + 1)).toBe("1.1 MiB");
    expect(smallestBudgetBytes(10)).toBe(MIN_MEMORY_BUDGET_BYTES);
  });
});

describe("memoryBudgetBytes is checked before any model call", () => {
  const echo = createEchoMethod();
  const toy = createToyModel({ seed: 3 });
  const calls: string[] = [];
  // Every model entry point counted: tokenize included, since the check comes before the prompt is read.
  const model: LanguageModel = {
    ...toy,
    tokenize: (...args) => {
      calls.push("tokenize");
      return toy.tokenize(...args);
    },
    forward: (request) => {
      calls.push("forward");
      return toy.forward!(request);
    },
    generate: (...args) => {
      calls.push("generate");
      return toy.generate!(...args);
    },
  };
  beforeAll(() => {
    registerCoreBuiltins();
    registerMethod(echo.method);
  });
  afterAll(() => {
    methodRegistry.unregister("test_echo");
  });

  const refused: [string, unknown][] = [
    ["NaN", Number.NaN],
    ["0", 0],
    ["a negative number", -MiB],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["64 (MiB without the unit)", 64],
    ["a fraction", MiB + 0.5],
    ["a string", "512MiB"],
  ];
  for (const [name, value] of refused) {
    it(`refuses ${name} with INVALID_INPUT`, async () => {
      calls.length = 0;
      const run = attribute(model, "the cat", {
        method: "test_echo",
        target: " sat",
        memoryBudgetBytes: value as number,
      });
      await expect(run).rejects.toMatchObject({ code: "INVALID_INPUT" });
      await expect(run).rejects.toThrow(
        /memoryBudgetBytes must be a whole number of bytes of at least 1 MiB/,
      );
      expect(calls).toEqual([]);
    });
  }

  it("says how to write a size meant in MiB", () => {
    expect(() => checkMemoryBudgetBytes(64)).toThrow("64 MiB is memoryBudgetBytes: 67108864");
    // A string is user text: quoted, cut short, control characters escaped.
    expect(() => checkMemoryBudgetBytes(`\u001b[2J${"x".repeat(1000)}`)).toThrow(
      /got "␛\[2Jx{36}"… \(964 more characters\)\./,
    );
  });

  it("passes a valid budget on to the method", async () => {
    await attribute(model, "the cat", { method: "test_echo", target: " sat", memoryBudgetBytes: 3 * MiB });
    expect(echo.contexts.at(-1)!.memoryBudgetBytes).toBe(3 * MiB);
  });
});
