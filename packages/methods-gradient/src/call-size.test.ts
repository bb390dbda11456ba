import {
  type GradientRequest,
  type LanguageModel,
  RESPONSIVE_CALL_MS,
  responsiveRowsPerCall,
} from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { integratedGradients } from "./integrated-gradients.ts";
import { registerAll, runMethod, sequenceOf } from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("gradient calls", () => {
  it("start at the FLOP estimate and grow only while calls stay within the responsive time", async () => {
    const toy = createToyModel({ seed: 3, hidden: 64 });
    const rowsPerCall: number[] = [];
    const msPerRow = 1;
    // The toy model's gradients, declared 20 layers deep: each row costs ~6 MFLOP, so ~500 rows are
    // the FLOP estimate's first call, while the memory budget would let 2,004 rows share one call.
    // Each call takes 1 ms per row, so calls may grow to about RESPONSIVE_CALL_MS rows.
    const model: LanguageModel = {
      ...toy,
      info: { ...toy.info, numLayers: 20 },
      gradients: async (request: GradientRequest) => {
        const rows = request.objective.positions.length;
        rowsPerCall.push(rows);
        await new Promise((resolve) => setTimeout(resolve, rows * msPerRow));
        return toy.gradients!(request);
      },
    };
    const sequence = await sequenceOf(model, "ab", "cd");
    await runMethod(integratedGradients, model, sequence, { parameters: { n_steps: 1000 } });
    expect(rowsPerCall.reduce((a, b) => a + b, 0)).toBe(2 * 1002);
    const estimate = responsiveRowsPerCall(
      model.info,
      sequence.source.length + sequence.target.length,
      "gradient",
    );
    expect(estimate).toBeLessThan(1000);
    expect(rowsPerCall[0]).toBe(estimate);
    // Grown past the estimate, never past what the responsive time holds (timers run a little long).
    expect(Math.max(...rowsPerCall)).toBeGreaterThan(estimate);
    expect(Math.max(...rowsPerCall) * msPerRow).toBeLessThanOrEqual(RESPONSIVE_CALL_MS);
  });
});
