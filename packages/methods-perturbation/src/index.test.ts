import { readdirSync } from "node:fs";
import { createRegistry } from "@tokenscope/core";
import { describe, expect, it } from "vitest";
import { methods } from "./index.ts";

describe("methods", () => {
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
});
