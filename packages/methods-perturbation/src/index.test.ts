import { readdirSync } from "node:fs";
import { createRegistry, isTokenscopeError, parameterJsonSchema, parseParameters } from "@tokenscope/core";
import { createToyModel } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import { methods } from "./index.ts";
import { contextFor, toySequence } from "./models.test-helpers.ts";

/** Keys of earlier releases (camelCase, or `samples` where Captum says `n_samples`), their new names, a valid value. */
const renamed: { method: string; old: string; key: string; value: unknown }[] = [
  { method: "occlusion", old: "batchSize", key: "batch_size", value: 4 },
  { method: "occlusion", old: "includeSpecial", key: "include_special", value: true },
  { method: "feature_ablation", old: "includeSpecial", key: "include_special", value: true },
  { method: "shapley_values", old: "batchSize", key: "batch_size", value: 4 },
  { method: "kernel_shap", old: "batchSize", key: "batch_size", value: 4 },
  { method: "lime", old: "maskProbability", key: "mask_probability", value: 0.3 },
  { method: "lime", old: "kernelWidth", key: "kernel_width", value: 0.7 },
  { method: "lime", old: "samples", key: "n_samples", value: 12 },
  { method: "shapley_value_sampling", old: "samples", key: "n_samples", value: 12 },
  { method: "reagent", old: "includeSpecial", key: "include_special", value: true },
  { method: "value_zeroing", old: "measureLayer", key: "measure_layer", value: "zeroed" },
  { method: "value_zeroing", old: "batchSize", key: "batch_size", value: 4 },
];

/** Inseq 0.7.1's attribution methods (`inseq.list_feature_attribution_methods()`). */
const inseqMethods = [
  "saliency",
  "input_x_gradient",
  "integrated_gradients",
  "deeplift",
  "gradient_shap",
  "discretized_integrated_gradients",
  "sequential_integrated_gradients",
  "layer_integrated_gradients",
  "layer_gradient_x_activation",
  "layer_deeplift",
  "occlusion",
  "lime",
  "reagent",
  "value_zeroing",
  "attention",
  "dummy",
];

describe("methods", () => {
  it("default to their reference's baseline: UNK where Inseq has the method, Captum's 0 where only Captum has it", () => {
    const expected: Record<string, string> = {
      occlusion: "unk",
      lime: "unk",
      feature_ablation: "zero",
      shapley_values: "zero",
      shapley_value_sampling: "zero",
      kernel_shap: "zero",
    };
    for (const [id, baseline] of Object.entries(expected)) {
      const method = methods.find((candidate) => candidate.id === id)!;
      const parsed = parseParameters(method.parameters, {}, id) as Record<string, unknown>;
      expect(parsed["baseline"], id).toBe(baseline);
      expect(method.description, id).toContain(`by default "${baseline}"`);
      if (!inseqMethods.includes(id)) expect(method.description, id).toContain("Inseq has no such method");
    }
  });

  it("cite only Inseq methods that exist", () => {
    for (const method of methods) {
      for (const [, cited] of method.description.matchAll(/Inseq's `([a-z_]+)`/g))
        expect(inseqMethods, `${method.id} cites ${cited}`).toContain(cited);
    }
  });

  it("lists every method file once, under Inseq's ids", () => {
    const ids = methods.map((method) => method.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([
      "feature_ablation",
      "kernel_shap",
      "lime",
      "occlusion",
      "reagent",
      "shapley_value_sampling",
      "shapley_values",
      "value_zeroing",
    ]);
    const files = readdirSync(new URL(".", import.meta.url)).filter(
      (name) => name.endsWith(".ts") && !name.includes(".test") && name !== "index.ts",
    );
    expect(files.map((name) => name.replace(".ts", "").replaceAll("-", "_")).sort()).toEqual([...ids].sort());
  });

  it("declares forward (value zeroing: with taps and interventions), documents itself, and registers explicitly", () => {
    const registry = createRegistry<(typeof methods)[number]>("method", "test");
    for (const method of methods) {
      expect(method.family).toBe("perturbation");
      expect(method.requires).toEqual(
        method.id === "value_zeroing"
          ? ["forward", "interventions.valueZeroing", "taps.residual"]
          : ["forward"],
      );
      expect(method.description.length).toBeGreaterThan(200);
      registry.register(method);
    }
    expect(registry.list()).toHaveLength(methods.length);
    expect(() => registry.register(methods[0]!)).toThrow();
  });

  it("names every parameter in snake_case, as Inseq and the gradient methods", () => {
    for (const method of methods) {
      const keys = Object.keys((parameterJsonSchema(method.parameters)?.properties ?? {}) as object);
      expect(keys.length, method.id).toBeGreaterThan(0);
      for (const key of keys) expect(key, `${method.id}.${key}`).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    }
  });

  it("refuses an old parameter name with INVALID_PARAMETERS naming it, and takes its new name", async () => {
    const toy = createToyModel();
    const sequence = await toySequence(toy, "the cat", " sat");
    for (const { method: id, old, key, value } of renamed) {
      const method = methods.find((candidate) => candidate.id === id)!;
      const error = await method
        .run(contextFor(toy, [sequence], { parameters: { [old]: value } }))
        .catch((caught: unknown) => caught);
      expect(isTokenscopeError(error, "INVALID_PARAMETERS"), `${id} ${old}`).toBe(true);
      expect((error as Error).message, `${id} ${old}`).toContain(`"${old}"`);
      const parsed = parseParameters(method.parameters, { [key]: value }, id) as Record<string, unknown>;
      expect(parsed[key], `${id} ${key}`).toEqual(value);
      expect(parsed, `${id} ${key}`).not.toHaveProperty(old);
    }
  });
});
