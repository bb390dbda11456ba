import { isTokenscopeError, type LanguageModel, type MethodSequence } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { kernelShap } from "./kernel-shap.ts";
import {
  contextFor,
  createIndicatorModel,
  indicatorSequence,
  probabilityWithZeroed,
  toySequence,
} from "./models.test-helpers.ts";
import { shapleyValueSampling } from "./shapley-value-sampling.ts";
import { shapleyValues } from "./shapley-values.ts";

const toy = createToyModel({ seed: 11 });

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

/**
 * Shapley values by their definition — the marginal contribution of each player averaged over
 * every order of the players — with f evaluated by the caller's own model calls.
 */
async function shapleyByDefinition(players: number, f: (present: Set<number>) => Promise<number>) {
  const cache = new Map<string, number>();
  const value = async (present: Set<number>) => {
    const key = [...present].sort((a, b) => a - b).join();
    if (!cache.has(key)) cache.set(key, await f(present));
    return cache.get(key)!;
  };
  const totals = new Array<number>(players).fill(0);
  const orders = permutations(Array.from({ length: players }, (_, index) => index));
  for (const order of orders) {
    const present = new Set<number>();
    let previous = await value(present);
    for (const player of order) {
      present.add(player);
      const current = await value(present);
      totals[player]! += current - previous;
      previous = current;
    }
  }
  return totals.map((total) => total / orders.length);
}

/** The toy sequence "bad cat" → " x" (source: BOS + 7 characters, 7 features), step 0. */
async function toyCase(): Promise<{ sequence: MethodSequence; ids: number[]; targetId: number }> {
  const sequence = await toySequence(toy, "bad cat", " x");
  sequence.steps = [0];
  return { sequence, ids: sequence.source.map((t) => t.id!), targetId: sequence.target[0]!.id! };
}

async function sourceRow(
  model: LanguageModel,
  method: typeof shapleyValues,
  sequence: MethodSequence,
  parameters = {},
) {
  const [output] = await method.run(contextFor(model, [sequence], { parameters: parameters }));
  return Array.from(output!.source.data.subarray(0, sequence.source.length));
}

describe("shapley_values", () => {
  it("equals the definition (all 7! orders) computed independently through the toy model", async () => {
    const { sequence, ids, targetId } = await toyCase();
    const row = await sourceRow(toy, shapleyValues, sequence);
    // Players are the 7 non-special source tokens (positions 1..7); absent = zero embedding.
    const expected = await shapleyByDefinition(7, async (present) =>
      probabilityWithZeroed(
        toy,
        ids,
        ids.map((_, p) => p).filter((p) => p > 0 && !present.has(p - 1)),
        targetId,
      ),
    );
    expect(row[0]).toBe(0);
    row.slice(1).forEach((value, index) => {
      expect(value).toBeCloseTo(expected[index]!, 12);
    });
  });

  it("gives w_s + Σ c/2 on a polynomial of indicators, and efficiency holds", async () => {
    const weights = [0, 0.5, -1.25, 2, 0.75, -0.5, 1.5];
    const pairs: [number, number, number][] = [
      [1, 2, 0.8],
      [3, 5, -1.2],
      [2, 6, 0.4],
    ];
    const model = createIndicatorModel({ weights, pairs, bias: 0.3 });
    const sequence = indicatorSequence([3, 4, 6, 7, 8, 9], [5]);
    const [output] = await shapleyValues.run(
      contextFor(model, [sequence], {
        parameters: { baseline: "unk" },
        attributedFunction: { id: "logit", parameters: {} },
      }),
    );
    const expected = weights.map((weight, s) => {
      const share = pairs.filter(([a, b]) => a === s || b === s).reduce((sum, [, , c]) => sum + c / 2, 0);
      return s === 0 ? 0 : weight + share;
    });
    Array.from(output!.source.data).forEach((value, s) => {
      expect(value).toBeCloseTo(expected[s]!, 12);
    });
    const all = 0.3 + weights.reduce((a, b) => a + b, 0) + pairs.reduce((sum, [, , c]) => sum + c, 0);
    const none = 0.3; // only BOS (weight 0) stays
    const total = Array.from(output!.source.data).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(all - none, 12);
    expect(output!.stepScores!["logit"]![0]).toBeCloseTo(all, 12);
  });

  it("refuses more than 12 features with a typed error pointing to the sampling variants", async () => {
    const sequence = await toySequence(toy, "abcdefghijklm", " x");
    const error = await shapleyValues.run(contextFor(toy, [sequence])).catch((caught) => caught);
    expect(isTokenscopeError(error, "INVALID_INPUT")).toBe(true);
    expect(error.message).toContain("13");
    expect(error.hint).toContain("shapley_value_sampling");
    expect(error.hint).toContain("kernel_shap");
  });
});

describe("sampling estimators converge to the exact values", () => {
  // "bad cat ran" → " x": BOS + 11 characters, so 11 features (2^11 − 2 = 2046 proper coalitions).
  async function elevenFeatures() {
    const sequence = await toySequence(toy, "bad cat ran", " x");
    sequence.steps = [0];
    const exact = await sourceRow(toy, shapleyValues, sequence, { batch_size: 2048 });
    const relativeError = (estimate: number[]) =>
      Math.max(...estimate.map((value, s) => Math.abs(value - exact[s]!))) / Math.max(...exact.map(Math.abs));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return { sequence, exact, relativeError, sum };
  }

  it("shapley_value_sampling: efficiency exact at any sample count; 4000 orders within 2% of max |φ|", async () => {
    const { sequence, exact, relativeError, sum } = await elevenFeatures();
    const few = await sourceRow(toy, shapleyValueSampling, sequence, { n_samples: 3, seed: 1 });
    expect(sum(few)).toBeCloseTo(sum(exact), 12);
    const hundred = await sourceRow(toy, shapleyValueSampling, sequence, { n_samples: 100, seed: 1 });
    const many = await sourceRow(toy, shapleyValueSampling, sequence, {
      n_samples: 4000,
      seed: 1,
      batch_size: 4096,
    });
    expect(relativeError(many)).toBeLessThan(0.02);
    expect(relativeError(many)).toBeLessThan(relativeError(hundred));
  });

  it("kernel_shap: exact with all 2046 coalitions; 400 sampled within 6% of max |φ|; efficiency exact", async () => {
    const { sequence, exact, relativeError, sum } = await elevenFeatures();
    const enumerated = await sourceRow(toy, kernelShap, sequence, { samples: 2046, batch_size: 2048 });
    enumerated.forEach((value, s) => {
      expect(value).toBeCloseTo(exact[s]!, 12);
    });
    const hundred = await sourceRow(toy, kernelShap, sequence, { samples: 100, seed: 2 });
    const sampled = await sourceRow(toy, kernelShap, sequence, { samples: 400, seed: 2, batch_size: 512 });
    expect(sum(hundred)).toBeCloseTo(sum(exact), 12);
    expect(sum(sampled)).toBeCloseTo(sum(exact), 12);
    expect(relativeError(sampled)).toBeLessThan(0.06);
    expect(relativeError(sampled)).toBeLessThan(relativeError(hundred));
  });
});
