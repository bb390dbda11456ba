import { type LanguageModel, TokenscopeError } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { kernelShap } from "./kernel-shap.ts";
import { lime } from "./lime.ts";
import { contextFor, toySequence } from "./models.test-helpers.ts";
import { shapleyValueSampling } from "./shapley-value-sampling.ts";

/**
 * The toy model, whose first forward call records how often a 1 ms timer fired since the run began
 * and then stops the run: a timer fires only when the event loop gets a turn.
 */
function timedModel(): { model: LanguageModel; ticksAtFirstForward: () => number; stop: () => void } {
  const toy = createToyModel({ seed: 2 });
  let ticks = 0;
  let atFirstForward = -1;
  const timer = setInterval(() => ticks++, 1);
  const model: LanguageModel = {
    ...toy,
    forward: async () => {
      atFirstForward = ticks;
      throw new TokenscopeError("ABORTED", "stopped at the first forward call");
    },
  };
  return { model, ticksAtFirstForward: () => atFirstForward, stop: () => clearInterval(timer) };
}

describe("drawing many samples lets the event loop run (so Ctrl-C is seen)", () => {
  // Tens of thousands of samples of 60 features for 4 steps: 0.2 to 1 s of drawing before the first
  // forward pass, in which a 1 ms timer fires only if the drawing pauses.
  for (const [method, parameters] of [
    [lime, { n_samples: 40_000, seed: 1 }],
    [kernelShap, { samples: 20_000, seed: 1 }],
    [shapleyValueSampling, { n_samples: 10_000, seed: 1 }],
  ] as const) {
    it(`${method.id}`, async () => {
      const { model, ticksAtFirstForward, stop } = timedModel();
      try {
        const sequence = await toySequence(model, "a".repeat(60), " bcd");
        const error = await method
          .run(contextFor(model, [sequence], { parameters: { ...parameters } }) as never)
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: "ABORTED" });
        expect(ticksAtFirstForward()).toBeGreaterThan(0);
      } finally {
        stop();
      }
    });
  }
});
