import { type GradientRequest, type LanguageModel, responsiveRowsPerCall } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { integratedGradients } from "./integrated-gradients.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("gradient calls", () => {
  it("carry few enough rows that none holds the event loop (Ctrl-C) for long", async () => {
    const toy = createToyModel({ seed: 3, hidden: 64 });
    const rowsPerCall: number[] = [];
    // The toy model's gradients, declared 20 layers deep: each row costs ~6 MFLOP, so ~500 rows are
    // a quarter second's work, while the memory budget would let 2,004 rows share one call.
    const model: LanguageModel = {
      ...toy,
      info: { ...toy.info, numLayers: 20 },
      gradients: (request: GradientRequest) => {
        rowsPerCall.push(request.objective.positions.length);
        return toy.gradients!(request);
      },
    };
    const sequence = await sequenceOf(model, "ab", "cd");
    await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 1000 } });
    expect(rowsPerCall.reduce((a, b) => a + b, 0)).toBe(2 * 1002);
    const cap = responsiveRowsPerCall(
      model.info,
      sequence.source.length + sequence.target.length,
      "gradient",
    );
    expect(cap).toBeLessThan(1000);
    expect(Math.max(...rowsPerCall)).toBeLessThanOrEqual(cap);
  });
});
