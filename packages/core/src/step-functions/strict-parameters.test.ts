import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { parseParameters } from "../schema/parameters.ts";
import { builtinStepFunctions } from "./index.ts";

/*
 * Step functions refuse unknown parameters as methods do: `{"bogus": 1}` or a typo such as
 * `{"logprop": true}` must not be dropped silently (F11 of issue 11's tester).
 */
describe("built-in step function parameters", () => {
  it.each(builtinStepFunctions.map((stepFunction) => [stepFunction.id, stepFunction] as const))(
    "%s refuses an unknown key, naming it",
    (id, stepFunction) => {
      let caught: unknown;
      try {
        parseParameters(stepFunction.parameters, { bogus: 1 }, `Attributed function "${id}"`);
      } catch (error) {
        caught = error;
      }
      expect(isTokenscopeError(caught, "INVALID_PARAMETERS")).toBe(true);
      expect((caught as Error).message).toContain("bogus");
    },
  );

  it.each(builtinStepFunctions.map((stepFunction) => [stepFunction.id, stepFunction] as const))(
    "%s still accepts no parameters",
    (_id, stepFunction) => {
      expect(() => parseParameters(stepFunction.parameters, undefined, stepFunction.id)).not.toThrow();
    },
  );
});
