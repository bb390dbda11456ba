import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeLimit, limits } from "../limits/index.ts";
import { registerCoreBuiltins } from "../register-core-builtins.ts";
import { listStepFunctions } from "../registry/registries.ts";
import { unboundedParameters } from "./parameter-bounds.ts";

describe("unboundedParameters", () => {
  it("names an integer parameter without a maximum (zod's int() alone stops at 2^53)", () => {
    const schema = z.strictObject({ n_steps: z.int().min(1).default(50).describe("Points on the path.") });
    expect(unboundedParameters(schema)).toEqual([expect.stringContaining("n_steps: no maximum")]);
  });

  it("names a work-counting number without a maximum, whatever its type", () => {
    const schema = z.strictObject({ n_samples: z.number().positive().describe("Samples.") });
    expect(unboundedParameters(schema)).toEqual([expect.stringContaining("n_samples: no maximum")]);
  });

  it("wants the description to state the bound", () => {
    const schema = z.strictObject({ batch_size: z.int().max(64).describe("Rows per call.") });
    expect(unboundedParameters(schema)).toEqual([expect.stringContaining("does not state the maximum 64")]);
  });

  it("accepts a bounded, documented size, continuous settings and indices", () => {
    const schema = z.strictObject({
      n_steps: z
        .int()
        .max(limits.integrationSteps.max, describeLimit("integrationSteps"))
        .describe(`Points; ${describeLimit("integrationSteps")}.`),
      tolerance: z.number().positive().optional().describe("Relative tolerance."),
      layer: z.int().nonnegative().describe("A layer index."),
      seed: z.int().describe("A seed."),
    });
    expect(unboundedParameters(schema)).toEqual([]);
  });
});

describe("core step functions", () => {
  registerCoreBuiltins();
  for (const stepFunction of listStepFunctions()) {
    it(`${stepFunction.id} bounds and documents every size parameter`, () => {
      expect(unboundedParameters(stepFunction.parameters)).toEqual([]);
    });
  }

  it("refuses a top_k above the bound, naming the parameter, the bound and the reason", async () => {
    const { parseParameters } = await import("../schema/parameters.ts");
    const { klDivergence } = await import("../step-functions/kl-divergence.ts");
    expect(() => parseParameters(klDivergence.parameters, { top_k: 1e9 }, "kl_divergence")).toThrowError(
      /top_k: at most 16,777,216 tokens \(a ranking holds at most the whole vocabulary/,
    );
  });
});
