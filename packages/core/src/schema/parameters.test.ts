import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isTokenscopeError } from "../errors/index.ts";
import { parseParameters } from "./parameters.ts";

describe("parseParameters", () => {
  const schema = z.object({
    n_steps: z.number().int().min(1).default(32),
    baseline: z.enum(["unk", "pad", "zero"]).default("unk"),
  });

  it("applies defaults", () => {
    expect(parseParameters(schema, undefined, "integrated_gradients")).toEqual({
      n_steps: 32,
      baseline: "unk",
    });
    expect(parseParameters(schema, { n_steps: 4 }, "integrated_gradients")).toEqual({
      n_steps: 4,
      baseline: "unk",
    });
  });

  it("rejects bad values with the schema's message and the field path", () => {
    try {
      parseParameters(schema, { n_steps: 0, baseline: "nope" }, "integrated_gradients");
      expect.unreachable();
    } catch (error) {
      expect(isTokenscopeError(error, "INVALID_PARAMETERS")).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain("n_steps:");
      expect(message).toContain("baseline:");
      expect(message).toContain("integrated_gradients");
    }
  });
});
