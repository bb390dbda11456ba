import {
  type AttributionMethod,
  isTokenscopeError,
  type LanguageModel,
  type MethodSequence,
  smallestBudgetBytes,
} from "@tokenscope/core";
import { beforeAll, describe, expect, it } from "vitest";
import { methods } from "../index.ts";
import { contextFor, sequenceOf, stories260k } from "../models.test-helpers.ts";
import { attentionRowBytes } from "./memory-budget.ts";

let stories: LanguageModel;
let short: MethodSequence;
let long: MethodSequence;

beforeAll(async () => {
  stories = await stories260k();
  // The short sequence first: it fits, the long one does not; checking only the sequence at hand
  // would run the first and stop half way.
  short = await sequenceOf(stories, "One day", " she ran");
  long = await sequenceOf(stories, "Once upon a time, there was a little girl named Lily", " who");
}, 60_000);

function counting(model: LanguageModel): { model: LanguageModel; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    model: {
      ...model,
      forward: (request) => {
        calls.push("forward");
        return model.forward!(request);
      },
    },
  };
}

describe("attention rows under a memory budget", () => {
  it("grows with the tapped maps of the length squared", () => {
    const { info } = stories;
    expect(attentionRowBytes(info, 500, 5) - attentionRowBytes(info, 500, 1)).toBe(3 * 4 * 4 * 8 * 500 * 500);
    expect(attentionRowBytes(info, 1000, 5) / attentionRowBytes(info, 500, 5)).toBeGreaterThan(3.5);
  });

  for (const method of methods as AttributionMethod<unknown>[]) {
    it(`${method.id}: refused before any model call, then run at the budget it names`, async () => {
      const { model, calls } = counting(stories);
      const lengths = [short, long].map((sequence) => sequence.source.length + sequence.target.length);
      // Below any row of the long sequence, whatever layers the method taps; above the short one's.
      const budget = attentionRowBytes(stories.info, lengths[0]!, stories.info.numLayers);
      expect(budget).toBeLessThan(attentionRowBytes(stories.info, lengths[1]!, 1));

      let error: unknown;
      try {
        await method.run({ ...contextFor(model, [short, long]), memoryBudgetBytes: budget } as never);
      } catch (caught) {
        error = caught;
      }
      expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
      const { message, details } = error as { message: string; details: Record<string, unknown> };
      expect(message).toMatch(
        new RegExp(
          `^Method "${method.id}": one attention row of ${lengths[1]} tokens \\(\\d+ tapped layers?\\) needs about`,
        ),
      );
      expect(message).toContain("nothing was run");
      expect(calls).toEqual([]);

      const smallest = details["smallestBudgetBytes"] as number;
      expect(smallest).toBe(smallestBudgetBytes(details["rowBytes"] as number));
      const outputs = await method.run({
        ...contextFor(model, [short, long]),
        memoryBudgetBytes: smallest,
      } as never);
      expect(outputs).toHaveLength(2);
      expect(calls).toEqual(["forward", "forward"]);
    });
  }
});
