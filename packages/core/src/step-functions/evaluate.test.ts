import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isTokenscopeError } from "../errors/index.ts";
import { evaluateStepFunction } from "./evaluate.ts";
import { builtinStepFunctions, inContextPvi, pcxmi, probability } from "./index.ts";
import type { StepFunction } from "./types.ts";

const logits = Float64Array.from([0.5, 1.5, -0.5, 2]);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isTokenscopeError(error) ? error.code : `not a TokenscopeError: ${String(error)}`;
  }
  return undefined;
}

describe("evaluateStepFunction", () => {
  it("applies parameter defaults and parses given parameters", () => {
    const p = evaluateStepFunction(probability, { logits, targetId: 3 }, { withGradient: false }).value;
    const total = Array.from(logits).reduce((sum, value) => sum + Math.exp(value), 0);
    expect(p).toBeCloseTo(Math.exp(2) / total, 15);
    const lp = evaluateStepFunction(
      probability,
      { logits, targetId: 3, parameters: { logprob: true } },
      { withGradient: false },
    ).value;
    expect(lp).toBeCloseTo(Math.log(p), 14);
  });

  it("returns no gradient arrays when none is asked for, and the right arrays otherwise", () => {
    const valueOnly = evaluateStepFunction(probability, { logits, targetId: 1 }, { withGradient: false });
    expect(Object.keys(valueOnly)).toEqual(["value"]);
    const withGradient = evaluateStepFunction(
      pcxmi,
      { logits, targetId: 1, contrastLogits: Float64Array.from([0, 0, 0, 0]) },
      { withGradient: true },
    );
    expect(withGradient.gradLogits).toBeInstanceOf(Float64Array);
    expect(withGradient.gradContrastLogits).toBeInstanceOf(Float64Array);
  });

  it("rejects parameters that do not match the schema", () => {
    expect(
      codeOf(() =>
        evaluateStepFunction(
          probability,
          { logits, targetId: 0, parameters: { logprob: "yes" } },
          { withGradient: false },
        ),
      ),
    ).toBe("INVALID_PARAMETERS");
  });

  it("rejects target ids outside [0, vocab) for every built-in", () => {
    for (const stepFunction of builtinStepFunctions) {
      for (const targetId of [-1, 4, 1.5, Number.NaN]) {
        const input = { logits, targetId, contrastLogits: Float64Array.from(logits) };
        expect(
          codeOf(() => evaluateStepFunction(stepFunction, input, { withGradient: false })),
          stepFunction.id,
        ).toBe("INVALID_INPUT");
        // The built-in checks on its own too, for callers that skip evaluateStepFunction.
        const parsed = stepFunction.parameters["~standard"].validate({}) as { value: unknown };
        expect(codeOf(() => stepFunction.evaluate({ ...input, parameters: parsed.value }, false))).toBe(
          "INVALID_INPUT",
        );
      }
      const badContrastTarget = {
        logits,
        targetId: 0,
        contrastTargetId: 9,
        contrastLogits: Float64Array.from(logits),
      };
      expect(
        codeOf(() => evaluateStepFunction(stepFunction, badContrastTarget, { withGradient: false })),
      ).toBe("INVALID_INPUT");
    }
  });

  it("rejects empty logits, non-typed-array logits and contrast logits of another length", () => {
    expect(
      codeOf(() =>
        evaluateStepFunction(
          probability,
          { logits: new Float64Array(0), targetId: 0 },
          { withGradient: false },
        ),
      ),
    ).toBe("INVALID_INPUT");
    const plain = [1, 2, 3] as unknown as Float64Array;
    expect(
      codeOf(() =>
        evaluateStepFunction(probability, { logits: plain, targetId: 0 }, { withGradient: false }),
      ),
    ).toBe("INVALID_INPUT");
    expect(
      codeOf(() =>
        evaluateStepFunction(
          pcxmi,
          { logits, targetId: 0, contrastLogits: new Float64Array(3) },
          { withGradient: false },
        ),
      ),
    ).toBe("INVALID_INPUT");
  });

  it("contrastive functions without the contrast data they need throw INVALID_INPUT with a hint", () => {
    for (const stepFunction of builtinStepFunctions.filter((entry) => entry.contrast === "input")) {
      let caught: unknown;
      try {
        evaluateStepFunction(
          stepFunction,
          { logits, targetId: 0, contrastTargetId: 1 },
          { withGradient: true },
        );
      } catch (error) {
        caught = error;
      }
      expect(isTokenscopeError(caught, "INVALID_INPUT"), stepFunction.id).toBe(true);
      expect((caught as Error).message).toMatch(/contrastLogits/);
      expect((caught as { hint?: string }).hint).toMatch(/contrastive/);
    }
    expect(
      builtinStepFunctions
        .filter((entry) => entry.contrast === "input")
        .map((entry) => entry.id)
        .sort(),
    ).toEqual(["in_context_pvi", "kl_divergence", "pcxmi"]);
    expect(codeOf(() => inContextPvi.evaluate({ logits, targetId: 0, parameters: {} }, false))).toBe(
      "INVALID_INPUT",
    );
  });

  it("refuses a gradient from any value-only function, user-defined ones included", () => {
    const count: StepFunction<{ threshold: number }> = {
      id: "my_count",
      summary: "Tokens above a threshold.",
      description: "Counts logits above `threshold`.",
      unit: "tokens",
      differentiable: false,
      parameters: z.object({ threshold: z.number().default(0) }),
      evaluate: (input) => ({
        value: Array.from(input.logits).filter((v) => v > input.parameters.threshold).length,
      }),
    };
    expect(evaluateStepFunction(count, { logits, targetId: 0 }, { withGradient: false }).value).toBe(3);
    expect(codeOf(() => evaluateStepFunction(count, { logits, targetId: 0 }, { withGradient: true }))).toBe(
      "NOT_DIFFERENTIABLE",
    );
  });

  it("catches a user-defined function that returns a gradient of the wrong type or length", () => {
    const broken: StepFunction = {
      id: "broken",
      summary: "Returns a float64 gradient whatever the input.",
      description: "For tests.",
      unit: "logit",
      differentiable: true,
      parameters: z.object({}),
      evaluate: (input) => ({ value: 0, gradLogits: new Float64Array(input.logits.length) as never }),
    };
    expect(
      codeOf(() => evaluateStepFunction(broken, { logits, targetId: 0 }, { withGradient: true })),
    ).toBeUndefined();
    expect(
      codeOf(() =>
        evaluateStepFunction(
          broken,
          { logits: Float32Array.from(logits), targetId: 0 },
          { withGradient: true },
        ),
      ),
    ).toBe("INVALID_INPUT");
  });
});
