import { registerStepFunction, type StepFunction } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { attributedFunctionOf } from "./attributed-function.ts";
import { stepStream } from "./random.ts";

describe("attributedFunctionOf", () => {
  const logits = Float64Array.from([0, 1, 2]);

  it("evaluates core's built-ins without registration, with their parameters parsed", () => {
    const probability = attributedFunctionOf({ attributedFunction: { id: "probability", parameters: {} } });
    const sum = Math.exp(0) + Math.exp(1) + Math.exp(2);
    expect(probability.evaluate(logits, 2)).toBeCloseTo(Math.exp(2) / sum, 15);
    const logprob = attributedFunctionOf({
      attributedFunction: { id: "probability", parameters: { logprob: true } },
    });
    expect(logprob.evaluate(logits, 2)).toBeCloseTo(2 - Math.log(sum), 15);
    const contrast = attributedFunctionOf({
      attributedFunction: { id: "contrast_logits_diff", parameters: {} },
    });
    expect(contrast.evaluate(logits, 2, { targetId: 0 })).toBeCloseTo(2, 15);
    expect(contrast.readsContrastLogits).toBe(true);
    expect(probability.readsContrastLogits).toBe(false);
  });

  it("prefers a registered step function and refuses unknown ids", () => {
    const double: StepFunction<{ factor: number }> = {
      id: "test_double_logit",
      summary: "",
      description: "",
      unit: "logit",
      differentiable: true,
      parameters: z.strictObject({ factor: z.number().default(2) }),
      evaluate: ({ logits: values, targetId, parameters }) => ({
        value: parameters.factor * values[targetId]!,
      }),
    };
    registerStepFunction(double);
    expect(
      attributedFunctionOf({ attributedFunction: { id: "test_double_logit", parameters: {} } }).evaluate(
        logits,
        1,
      ),
    ).toBe(2);
    expect(() => attributedFunctionOf({ attributedFunction: { id: "nope", parameters: {} } })).toThrow(
      /nope/,
    );
    expect(() =>
      attributedFunctionOf({ attributedFunction: { id: "test_double_logit", parameters: { factr: 1 } } }),
    ).toThrow(/factr/);
  });
});

describe("stepStream", () => {
  it("repeats for the same seed, ids and step, and differs otherwise", () => {
    const draw = (seed: number, ids: number[], step: number) => {
      const random = stepStream(seed, ids, step);
      return Array.from({ length: 5 }, () => random.float());
    };
    expect(draw(1, [1, 2], 0)).toEqual(draw(1, [1, 2], 0));
    expect(draw(1, [1, 2], 0)).not.toEqual(draw(2, [1, 2], 0));
    expect(draw(1, [1, 2], 0)).not.toEqual(draw(1, [1, 3], 0));
    expect(draw(1, [1, 2], 0)).not.toEqual(draw(1, [1, 2], 1));
    const random = stepStream(0, [], 0);
    const values = Array.from({ length: 2000 }, () => random.int(0, 3));
    for (let value = 0; value < 4; value++) {
      const share = values.filter((v) => v === value).length / values.length;
      expect(Math.abs(share - 0.25)).toBeLessThan(0.04);
    }
  });
});
