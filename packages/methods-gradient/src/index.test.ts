import { readdirSync } from "node:fs";
import { checkMethodConformance, createToyModel } from "@tokenscope/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { methods } from "./index.ts";
import { registerAll } from "./testing.test-helpers.ts";

beforeAll(registerAll);

describe("methods", () => {
  it("lists each method once, one method per file", () => {
    const ids = methods.map((method) => method.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      "saliency",
      "input_x_gradient",
      "integrated_gradients",
      "gradient_shap",
      "smooth_grad",
      "layer_gradient_x_activation",
      "sequential_integrated_gradients",
      "layer_integrated_gradients",
    ]);
    const files = readdirSync(new URL(".", import.meta.url)).filter((name) => name.endsWith(".ts"));
    for (const id of ids) expect(files).toContain(`${id.replaceAll("_", "-")}.ts`);
  });

  for (const seed of [7, 21]) {
    // Skipped by capability: methods needing layer gradients run the suite on stories260K (real-models.test.ts).
    const toy = createToyModel({ seed });
    for (const method of methods.filter((m) => m.requires.every((need) => toy.capabilities.has(need)))) {
      it(`${method.id} passes the conformance suite (toy model, seed ${seed})`, async () => {
        const model = createToyModel({ seed });
        const checks = await checkMethodConformance(method, { model, tolerance: 1e-9 });
        for (const check of checks)
          expect(check, `${check.name}: ${check.message}`).toMatchObject({ passed: true });
      });
    }
  }

  it("documents every parameter", () => {
    for (const method of methods) {
      const schema = (
        method.parameters as unknown as {
          toJSONSchema(): { properties?: Record<string, { description?: string }> };
        }
      ).toJSONSchema();
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        expect(property.description, `${method.id}.${name}`).toBeTruthy();
      }
    }
  });
});
