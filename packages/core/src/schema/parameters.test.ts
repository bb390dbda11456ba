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

describe("parseParameters' hint", () => {
  const schema = z.strictObject({ logprob: z.boolean().default(false) });

  function hintOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected a throw");
  }

  it("names a runnable `methods explain <id>` for an owner phrase ending in a quoted id", () => {
    const message = hintOf(() =>
      parseParameters(schema, { logprob: 3 }, 'Attributed function "probability"'),
    );
    expect(message).toContain('Invalid parameters for Attributed function "probability"');
    expect(message).toContain("`tokenscope methods explain probability`");
  });

  it("takes the id when given, and a bare owner as the id", () => {
    expect(hintOf(() => parseParameters(schema, { bogus: 1 }, "the merge", "spans"))).toContain(
      "`tokenscope methods explain spans`",
    );
    expect(hintOf(() => parseParameters(schema, { bogus: 1 }, "saliency"))).toContain(
      "`tokenscope methods explain saliency`",
    );
  });
});
