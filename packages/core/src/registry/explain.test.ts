import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AttributionMethod } from "../methods/types.ts";
import { explain } from "./explain.ts";
import { methodRegistry, registerMethod } from "./registries.ts";

const exampleMethod: AttributionMethod<{ steps: number }> = {
  id: "example_method",
  family: "gradient",
  summary: "An example.",
  description: "Longer documentation.",
  requires: ["gradients"],
  supports: { targetPrefix: true, contrastive: false, batching: true },
  parameters: z.object({ steps: z.number().int().positive().default(8).describe("number of steps") }),
  run: async () => [],
};

afterEach(() => {
  methodRegistry.unregister("example_method");
});

describe("explain", () => {
  it("documents a registered method with its JSON Schema and defaults", () => {
    registerMethod(exampleMethod);
    const explanation = explain("example_method");
    expect(explanation.kind).toBe("method");
    expect(explanation.defaults).toEqual({ steps: 8 });
    expect(explanation.parameters?.["properties"]).toMatchObject({
      steps: { type: "integer", description: "number of steps" },
    });
    expect(explanation.facts).toMatchObject({ family: "gradient", requires: ["gradients"] });
  });

  it("throws UNKNOWN_ID listing known ids", () => {
    registerMethod(exampleMethod);
    expect(() => explain("nope")).toThrowError(/example_method/);
    expect(() => explain("example_method", "aggregator")).toThrowError(/as a aggregator|as an aggregator/);
  });
});
