import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isTokenscopeError, type TokenscopeError } from "../errors/index.ts";
import { aggregatorRegistry, methodRegistry, stepFunctionRegistry } from "./registries.ts";

const validMethod = {
  id: "registries_test_method",
  family: "gradient",
  summary: "A test method.",
  description: "Longer documentation.",
  requires: ["gradients"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters: z.object({}),
  run: async () => [],
};

const validStepFunction = {
  id: "registries_test_step",
  summary: "A test step function.",
  description: "Longer documentation.",
  unit: "logit",
  differentiable: false,
  parameters: z.object({}),
  evaluate: () => ({ value: 0 }),
};

const validAggregator = {
  id: "registries_test_aggregator",
  kind: "normalize",
  summary: "A test aggregator.",
  description: "Longer documentation.",
  parameters: z.object({}),
  apply: (sequence: unknown) => sequence,
};

afterEach(() => {
  methodRegistry.unregister(validMethod.id);
  stepFunctionRegistry.unregister(validStepFunction.id);
  aggregatorRegistry.unregister(validAggregator.id);
});

/** The error of a registration that must be refused. */
function refusal(register: () => void): TokenscopeError {
  try {
    register();
  } catch (caught) {
    if (isTokenscopeError(caught)) return caught;
    throw caught;
  }
  throw new Error("expected the registration to be refused");
}

// biome-ignore lint/suspicious/noExplicitAny: definitions as an untyped plugin would export them
const asAny = (value: unknown): any => value;

describe("the method registry", () => {
  it("accepts a well-formed definition", () => {
    methodRegistry.register(asAny(validMethod));
    expect(methodRegistry.has(validMethod.id)).toBe(true);
  });

  it.each([
    [{ id: 7 }, "id must be a string, got number 7"],
    [{ run: "not a function" }, 'run must be a function, got the string "not a function"'],
    [{ run: undefined }, "run must be a function, got undefined"],
    [{ parameters: undefined }, "parameters must be a Standard Schema"],
    [{ parameters: { "~standard": {} } }, "parameters must be a Standard Schema"],
    [{ family: "" }, "family must be a non-empty string"],
    [{ family: 3 }, "family must be a non-empty string, got number 3"],
    [{ summary: undefined }, "summary must be a string, got undefined"],
    [{ requires: "gradients" }, "requires must be an array of capabilities"],
    [{ requires: ["telepathy"] }, 'requires lists the string "telepathy", not capabilities'],
    [
      { supports: { targetPrefix: "yes", contrastive: false, batching: true } },
      "supports.targetPrefix must be",
    ],
    [{ supports: undefined }, "supports must be an object"],
    [{ normalizeByDefault: "no" }, "normalizeByDefault must be true or false"],
    [{ references: "Sundararajan 2017" }, "references must be an array of strings or absent"],
  ])("refuses %j with INVALID_INPUT: %s", (change, problem) => {
    const error = refusal(() => methodRegistry.register(asAny({ ...validMethod, ...change })));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(problem);
    expect(methodRegistry.has(validMethod.id)).toBe(false);
  });

  it("names every problem of a definition at once", () => {
    const error = refusal(() => methodRegistry.register(asAny({ id: "registries_test_method" })));
    expect(error.details["problems"]).toEqual([
      expect.stringContaining("family"),
      expect.stringContaining("summary"),
      expect.stringContaining("description"),
      expect.stringContaining("requires"),
      expect.stringContaining("supports"),
      expect.stringContaining("parameters"),
      expect.stringContaining("run"),
    ]);
    expect(error.message).toContain("A method definition is an object with id, family");
  });
});

describe("the step function and aggregator registries", () => {
  it("accept well-formed definitions", () => {
    stepFunctionRegistry.register(asAny(validStepFunction));
    aggregatorRegistry.register(asAny(validAggregator));
    expect(stepFunctionRegistry.has(validStepFunction.id)).toBe(true);
    expect(aggregatorRegistry.has(validAggregator.id)).toBe(true);
  });

  it.each([
    [{ evaluate: null }, "evaluate must be a function, got null"],
    [{ differentiable: "true" }, "differentiable must be true or false"],
    [{ unit: undefined }, "unit must be a non-empty string"],
    [{ merge: "mean" }, "merge must be one of sum, prod, absmax or absent"],
    [{ contrast: "both" }, "contrast must be one of input, target, either or absent"],
    [{ parameters: 5 }, "parameters must be a Standard Schema"],
  ])("a step function %j is refused: %s", (change, problem) => {
    const error = refusal(() => stepFunctionRegistry.register(asAny({ ...validStepFunction, ...change })));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(problem);
  });

  it.each([
    [{ apply: {} }, "apply must be a function, got a object"],
    [{ kind: "" }, "kind must be a non-empty string"],
    [{ id: "" }, "id must not be empty"],
    [{ parameters: null }, "parameters must be a Standard Schema"],
  ])("an aggregator %j is refused: %s", (change, problem) => {
    const error = refusal(() => aggregatorRegistry.register(asAny({ ...validAggregator, ...change })));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(problem);
  });
});
